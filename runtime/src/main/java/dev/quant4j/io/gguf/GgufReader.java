package dev.quant4j.io.gguf;

import dev.quant4j.io.DisplayText;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import dev.quant4j.tensor.Shapes;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file (v2 or v3, little-endian), mapped read-only; tensors are read one at a time when asked for.
 *
 * <p>The file is untrusted, and {@link #open} checks what ggml's hardened loader ({@code gguf.cpp})
 * checks, before any tensor is read: the magic and version (a byte-swapped version means a big-endian
 * file), tensor and key counts as signed numbers bounded by the bytes left, every string and array
 * length against the bytes left before anything is allocated, known value types, no arrays of arrays,
 * BOOL bytes of 0 or 1, no empty or duplicate keys, {@code general.alignment} a UINT32 power of two,
 * tensor names unique and shorter than 64 bytes, at most 4 dimensions, non-negative dimensions whose
 * element count does not overflow, known type ids, {@code ne[0]} a multiple of the type's block size,
 * each tensor at exactly the running padded offset (tensors packed in info order, as ggml requires),
 * and every tensor's data inside the file. Metadata also has limits of this reader, so that a small file
 * cannot ask for a huge heap: {@link #MAX_METADATA_ELEMENTS} array elements in all. Every fault is a
 * {@link GgufFormatException} with the byte offset.
 */
public final class GgufReader implements AutoCloseable {
    /** "GGUF" read as a little-endian u32. */
    static final int MAGIC = 0x46554747;

    public static final int DEFAULT_ALIGNMENT = 32;
    public static final String ALIGNMENT_KEY = "general.alignment";
    /** ggml's GGML_MAX_NAME: a tensor name has fewer bytes than this. */
    public static final int MAX_NAME_BYTES = 64;

    public static final int MAX_DIMS = 4;
    /** Array elements (of all metadata arrays together) this reader keeps on the heap. */
    public static final long MAX_METADATA_ELEMENTS = 1L << 26;
    /** The largest alignment accepted (ggml discusses a 1 MiB cap; any power of two up to this is fine). */
    static final long MAX_ALIGNMENT = 1L << 30;

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 =
            ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** One tensor as its info describes it: ggml dims ({@code ne[0]} innermost), type, data offset. */
    public record TensorInfo(String name, long[] ne, GgmlType type, long offset, long byteSize, long infoOffset) {
        public TensorInfo {
            ne = ne.clone();
        }

        @Override
        public long[] ne() {
            return ne.clone();
        }

        /** The shape in our (row-major, last dimension innermost) order: ne reversed. */
        public long[] shape() {
            long[] s = new long[ne.length];
            for (int i = 0; i < ne.length; i++) {
                s[i] = ne[ne.length - 1 - i];
            }
            return s;
        }

        public long elementCount() {
            long n = 1;
            for (long d : ne) {
                n *= d;
            }
            return n;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof TensorInfo t
                    && name.equals(t.name)
                    && Arrays.equals(ne, t.ne)
                    && type == t.type
                    && offset == t.offset
                    && byteSize == t.byteSize;
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + Arrays.hashCode(ne);
        }

        @Override
        public String toString() {
            return name + " " + type.ggmlName() + Arrays.toString(ne);
        }
    }

    private final Path file;
    private final Arena arena;
    private final MemorySegment mapped;
    private final int version;
    private final long alignment;
    private final long dataStart;
    private final Map<String, GgufValue> metadata;
    private final List<TensorInfo> tensors;
    private final Map<String, TensorInfo> byName;

    /** A position in the mapped file; every read checks the bytes left first. */
    private final class Cursor {
        long pos;
        long elementsLeft = MAX_METADATA_ELEMENTS;

        long left() {
            return mapped.byteSize() - pos;
        }

        void need(long bytes, String what, String item) throws GgufFormatException {
            if (bytes < 0 || bytes > left()) {
                throw fail(
                        item,
                        pos,
                        what + " needs " + (bytes < 0 ? "more than 2^63" : Long.toString(bytes))
                                + " bytes but only " + left() + " are left in the file; the file is truncated or the "
                                + "length is damaged");
            }
        }

        int u8(String what, String item) throws GgufFormatException {
            need(1, what, item);
            return mapped.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF;
        }

        int i32(String what, String item) throws GgufFormatException {
            need(4, what, item);
            int v = mapped.get(I32, pos);
            pos += 4;
            return v;
        }

        long i64(String what, String item) throws GgufFormatException {
            need(8, what, item);
            long v = mapped.get(I64, pos);
            pos += 8;
            return v;
        }

        /** A gguf string: u64 length (read signed), then that many bytes of UTF-8. */
        String string(String what, String item) throws GgufFormatException {
            long at = pos;
            long n = i64(what + " length", item);
            if (n < 0 || n > left()) {
                throw fail(
                        item,
                        at,
                        what + " has length " + Long.toUnsignedString(n) + " but only " + left()
                                + " bytes are left in the file; the file is truncated or the length is damaged");
            }
            byte[] bytes = mapped.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE);
            try {
                CharsetDecoder dec = StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT);
                CharBuffer chars = dec.decode(ByteBuffer.wrap(bytes));
                pos += n;
                return chars.toString();
            } catch (CharacterCodingException e) {
                throw fail(item, pos, what + " is not valid UTF-8");
            }
        }
    }

    private GgufReader(Path file, Arena arena, MemorySegment mapped) throws GgufFormatException {
        this.file = file;
        this.arena = arena;
        this.mapped = mapped;
        Cursor c = new Cursor();
        if (mapped.byteSize() < 24) {
            throw fail(
                    null,
                    0,
                    "the file has " + mapped.byteSize() + " bytes; a GGUF header takes 24 (magic, "
                            + "version, tensor count, key count), so it is truncated or not a GGUF file");
        }
        int magic = c.i32("magic", null);
        if (magic != MAGIC) {
            throw fail(
                    null,
                    0,
                    "the file does not start with the GGUF magic (47 47 55 46, \"GGUF\") but "
                            + String.format(
                                    "%02x %02x %02x %02x",
                                    magic & 0xFF, magic >>> 8 & 0xFF, magic >>> 16 & 0xFF, magic >>> 24 & 0xFF)
                            + "; it is not a GGUF file");
        }
        int v = c.i32("version", null);
        if ((v & 0xFFFF) == 0 && v != 0) {
            throw fail(
                    null,
                    4,
                    "version " + Integer.toUnsignedString(v) + " is a byte-swapped version: the file is "
                            + "big-endian, and quant4j reads little-endian GGUF only");
        }
        if (v != 2 && v != 3) {
            throw fail(
                    null,
                    4,
                    "GGUF version " + Integer.toUnsignedString(v) + " is not supported; this reader "
                            + "reads versions 2 and 3"
                            + (v == 1
                                    ? " (version 1 used 32-bit counts; convert it with a " + "newer llama.cpp)"
                                    : ""));
        }
        this.version = v;
        long nTensors = c.i64("tensor count", null);
        long nKv = c.i64("metadata key count", null);
        // Each tensor info takes at least 24 bytes (an empty name, n_dims, type, offset), each key/value at
        // least 13 (an empty key, the type, a 1-byte value): the counts cannot exceed what the file holds.
        if (nTensors < 0 || nTensors > c.left() / 24) {
            throw fail(
                    null,
                    8,
                    "tensor count " + Long.toUnsignedString(nTensors) + " cannot fit in the " + c.left()
                            + " bytes left; the header is damaged");
        }
        if (nKv < 0 || nKv > c.left() / 13) {
            throw fail(
                    null,
                    16,
                    "metadata key count " + Long.toUnsignedString(nKv) + " cannot fit in the " + c.left()
                            + " bytes left; the header is damaged");
        }
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        for (long i = 0; i < nKv; i++) {
            long at = c.pos;
            String key = c.string("key " + i, "key " + i);
            String item = "key '" + DisplayText.escape(key) + "'";
            if (key.isEmpty()) {
                throw fail("key " + i, at, "the key is empty");
            }
            if (kv.containsKey(key)) {
                throw fail(item, at, "the key appears twice; a GGUF file names each key once");
            }
            long typeAt = c.pos;
            int typeId = c.i32("value type", item);
            GgufValue.Type type = GgufValue.Type.byId(Integer.toUnsignedLong(typeId));
            if (type == null) {
                throw fail(
                        item,
                        typeAt,
                        "value type " + Integer.toUnsignedString(typeId) + " is unknown; GGUF "
                                + "value types are 0 to 12");
            }
            kv.put(key, readValue(c, type, item));
        }
        long alignment = DEFAULT_ALIGNMENT;
        GgufValue a = kv.get(ALIGNMENT_KEY);
        if (a != null) {
            if (a.type() != GgufValue.Type.UINT32) {
                throw fail("key '" + ALIGNMENT_KEY + "'", -1, "it is a " + a.type() + "; ggml requires a UINT32");
            }
            alignment = a.asLong();
            if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > MAX_ALIGNMENT) {
                throw fail(
                        "key '" + ALIGNMENT_KEY + "'",
                        -1,
                        "alignment " + alignment + " is not a power of two " + "from 1 to 2^30");
            }
        }
        this.alignment = alignment;
        this.metadata = Collections.unmodifiableMap(kv);

        List<TensorInfo> infos = new ArrayList<>();
        Map<String, TensorInfo> names = new LinkedHashMap<>();
        long expectedOffset = 0;
        for (long i = 0; i < nTensors; i++) {
            long at = c.pos;
            String name = c.string("tensor name " + i, "tensor " + i);
            String item = "tensor '" + DisplayText.escape(name) + "'";
            int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
            if (nameBytes >= MAX_NAME_BYTES) {
                throw fail(
                        item, at, "the name has " + nameBytes + " bytes; ggml allows at most " + (MAX_NAME_BYTES - 1));
            }
            if (names.containsKey(name)) {
                throw fail(item, at, "two tensors have this name; names must be unique");
            }
            long dimsAt = c.pos;
            int nDims = c.i32("n_dims", item);
            if (nDims < 0 || nDims > MAX_DIMS) {
                throw fail(
                        item,
                        dimsAt,
                        "n_dims is " + Integer.toUnsignedString(nDims) + "; ggml tensors have " + "at most " + MAX_DIMS
                                + " dimensions");
            }
            long[] ne = new long[nDims];
            long count = 1;
            for (int d = 0; d < nDims; d++) {
                long dimAt = c.pos;
                ne[d] = c.i64("dimension " + d, item);
                if (ne[d] < 0) {
                    throw fail(
                            item,
                            dimAt,
                            "dimension ne[" + d + "] = " + Long.toUnsignedString(ne[d])
                                    + " is negative as a signed 64-bit number");
                }
                if (ne[d] != 0 && count > Long.MAX_VALUE / ne[d]) {
                    throw fail(
                            item,
                            dimAt,
                            "the dimensions " + Arrays.toString(Arrays.copyOf(ne, d + 1))
                                    + " hold more elements than a signed 64-bit number counts");
                }
                count *= ne[d];
            }
            long typeAt = c.pos;
            int typeId = c.i32("type", item);
            GgmlType type = GgmlType.byId(Integer.toUnsignedLong(typeId));
            if (type == null) {
                throw fail(item, typeAt, "ggml type id " + Integer.toUnsignedString(typeId) + " is unknown");
            }
            long ne0 = nDims == 0 ? 1 : ne[0];
            if (ne0 % type.blockSize() != 0) {
                throw fail(
                        item,
                        dimsAt + 4,
                        "its row length ne[0] = " + ne0 + " is not a multiple of " + type.ggmlName() + "'s block size "
                                + type.blockSize());
            }
            long bytes = type.byteSize(count);
            if (bytes < 0 || bytes > Long.MAX_VALUE - alignment) {
                throw fail(
                        item,
                        dimsAt,
                        count + " elements of " + type.ggmlName()
                                + " take more bytes than a signed 64-bit number counts");
            }
            long offsetAt = c.pos;
            long offset = c.i64("data offset", item);
            if (offset != expectedOffset) {
                throw fail(
                        item,
                        offsetAt,
                        "its data offset is " + Long.toUnsignedString(offset) + ", expected "
                                + expectedOffset + ": ggml requires tensors packed in info order, each padded to the "
                                + "alignment " + alignment);
            }
            TensorInfo info = new TensorInfo(name, ne, type, offset, bytes, at);
            infos.add(info);
            names.put(name, info);
            expectedOffset = offset + pad(bytes, alignment);
            if (expectedOffset < 0) {
                throw fail(item, offsetAt, "the data section would be larger than a signed 64-bit number counts");
            }
        }
        long start = pad(c.pos, alignment);
        this.dataStart = start;
        for (TensorInfo t : infos) {
            if (t.byteSize() > 0
                    && (start > mapped.byteSize() || t.offset() + t.byteSize() > mapped.byteSize() - start)) {
                throw fail(
                        "tensor '" + DisplayText.escape(t.name()) + "'",
                        t.infoOffset(),
                        "its data [" + (start + t.offset()) + ", "
                                + (start + t.offset() + t.byteSize()) + ") reaches past the end of the file ("
                                + mapped.byteSize() + " bytes); the file is truncated");
            }
        }
        this.tensors = List.copyOf(infos);
        this.byName = Collections.unmodifiableMap(names);
    }

    private GgufValue readValue(Cursor c, GgufValue.Type type, String item) throws GgufFormatException {
        long at = c.pos;
        switch (type) {
            case STRING -> {
                return GgufValue.string(c.string("string value", item));
            }
            case ARRAY -> {
                int elemId = c.i32("array element type", item);
                GgufValue.Type elem = GgufValue.Type.byId(Integer.toUnsignedLong(elemId));
                if (elem == null) {
                    throw fail(item, at, "array element type " + Integer.toUnsignedString(elemId) + " is unknown");
                }
                if (elem == GgufValue.Type.ARRAY) {
                    throw fail(item, at, "the value is an array of arrays, which ggml does not read");
                }
                long countAt = c.pos;
                long n = c.i64("array length", item);
                if (n < 0 || n > c.left() / elem.size) {
                    throw fail(
                            item,
                            countAt,
                            "the array has " + Long.toUnsignedString(n) + " elements of " + elem + " but only "
                                    + c.left() + " bytes are left in the file");
                }
                if (n > c.elementsLeft) {
                    throw fail(
                            item,
                            countAt,
                            "the metadata arrays hold more than " + MAX_METADATA_ELEMENTS
                                    + " elements in all, this reader's limit");
                }
                c.elementsLeft -= n;
                int count = (int) n;
                Object values = switch (elem) {
                    case STRING -> {
                        String[] s = new String[count];
                        for (int i = 0; i < count; i++) {
                            s[i] = c.string("string " + i + " of the array", item);
                        }
                        yield s;
                    }
                    case FLOAT32 -> {
                        float[] f = new float[count];
                        MemorySegment.copy(mapped, F32, c.pos, f, 0, count);
                        c.pos += 4L * count;
                        yield f;
                    }
                    case FLOAT64 -> {
                        double[] f = new double[count];
                        MemorySegment.copy(mapped, F64, c.pos, f, 0, count);
                        c.pos += 8L * count;
                        yield f;
                    }
                    case BOOL -> {
                        boolean[] b = new boolean[count];
                        for (int i = 0; i < count; i++) {
                            b[i] = bool(c, item);
                        }
                        yield b;
                    }
                    default -> {
                        long[] l = new long[count];
                        for (int i = 0; i < count; i++) {
                            l[i] = integer(c, elem);
                        }
                        yield l;
                    }
                };
                return new GgufValue(GgufValue.Type.ARRAY, elem, values);
            }
            case FLOAT32 -> {
                c.need(4, "FLOAT32 value", item);
                float f = mapped.get(F32, c.pos);
                c.pos += 4;
                return GgufValue.float32(f);
            }
            case FLOAT64 -> {
                c.need(8, "FLOAT64 value", item);
                double d = mapped.get(F64, c.pos);
                c.pos += 8;
                return GgufValue.float64(d);
            }
            case BOOL -> {
                return GgufValue.bool(bool(c, item));
            }
            default -> {
                c.need(type.size, type + " value", item);
                return new GgufValue(type, null, integer(c, type));
            }
        }
    }

    private boolean bool(Cursor c, String item) throws GgufFormatException {
        long at = c.pos;
        int b = c.u8("BOOL value", item);
        if (b > 1) {
            throw fail(item, at, "a BOOL is " + b + "; only 0 and 1 are valid");
        }
        return b == 1;
    }

    /** An integer of this type at the cursor; the caller checked that its bytes are there. */
    private long integer(Cursor c, GgufValue.Type t) {
        long p = c.pos;
        c.pos += t.size;
        return switch (t) {
            case UINT8 -> mapped.get(ValueLayout.JAVA_BYTE, p) & 0xFF;
            case INT8 -> mapped.get(ValueLayout.JAVA_BYTE, p);
            case UINT16 -> mapped.get(I16, p) & 0xFFFF;
            case INT16 -> mapped.get(I16, p);
            case UINT32 -> Integer.toUnsignedLong(mapped.get(I32, p));
            case INT32 -> mapped.get(I32, p);
            default -> mapped.get(I64, p);
        };
    }

    static long pad(long offset, long alignment) {
        return offset + (alignment - offset % alignment) % alignment;
    }

    private GgufFormatException fail(String item, long offset, String reason) {
        return new GgufFormatException(file, item, offset, reason);
    }

    /**
     * Opens and checks a file.
     *
     * @throws GgufFormatException when the file is malformed (see the class comment)
     * @throws IOException         when it cannot be read
     */
    // The arena is closed here on failure and otherwise handed to the reader, whose close() closes it;
    // Error Prone's check cannot see that hand-over (as in SafetensorsReader.open).
    @SuppressWarnings("MustBeClosedChecker")
    public static GgufReader open(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new FileSystemException(file.toString(), null, "is a folder, not a GGUF file");
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return new GgufReader(file, arena, seg);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    public Path file() {
        return file;
    }

    public long fileSize() {
        return mapped.byteSize();
    }

    public int version() {
        return version;
    }

    public long alignment() {
        return alignment;
    }

    /** Where the data section starts (tensor offsets count from here). */
    public long dataStart() {
        return dataStart;
    }

    /** Every key and value, in file order. */
    public Map<String, GgufValue> metadata() {
        return metadata;
    }

    public List<TensorInfo> tensors() {
        return tensors;
    }

    /** The tensor with this name, or null. */
    public TensorInfo tensor(String name) {
        return byName.get(name);
    }

    /** The tensor's bytes, a read-only view of the mapping (valid until {@link #close}). */
    public MemorySegment data(TensorInfo t) {
        return mapped.asSlice(dataStart + t.offset(), t.byteSize());
    }

    /** The tensor's shape in our order as ints, or an error saying why it does not fit a Java array. */
    public int[] intShape(TensorInfo t) throws GgufFormatException {
        long n = t.elementCount();
        if (n > Shapes.MAX_ARRAY_LENGTH) {
            throw fail(
                    "tensor '" + DisplayText.escape(t.name()) + "'",
                    t.infoOffset(),
                    "it has " + n + " elements; quant4j holds at " + "most " + Shapes.MAX_ARRAY_LENGTH + " per tensor");
        }
        long[] s = t.shape();
        int[] out = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            out[i] = (int) s[i];
        }
        return out;
    }

    /** The tensor as float32 values, dequantized as ggml does for the block types quant4j reads. */
    public FloatTensor readFloatTensor(TensorInfo t) throws GgufFormatException {
        int[] shape = intShape(t);
        if (!t.type().readable()) {
            throw fail(
                    "tensor '" + DisplayText.escape(t.name()) + "'",
                    t.infoOffset(),
                    "quant4j cannot read ggml type " + t.type().ggmlName() + "; it reads "
                            + GgmlBlocks.readableNames());
        }
        float[] out = new float[(int) t.elementCount()];
        GgmlBlocks.dequantize(data(t), t.type(), out);
        return FloatTensor.of(out, shape);
    }

    /**
     * The tensor as our quantized tensor when its type is a twin of one of our schemes (Q8_0, Q4_0,
     * MXFP4) and every block has an exact equivalent; null otherwise (then read it as floats).
     */
    public QuantizedTensor readQuantized(TensorInfo t) throws GgufFormatException {
        int[] shape = intShape(t);
        return GgmlBlocks.decodeExact(data(t), t.type(), shape);
    }

    /**
     * The tensor as it is best kept: our quantized tensor for an exact twin, float32 values otherwise.
     */
    public Object readState(TensorInfo t) throws GgufFormatException {
        QuantizedTensor q = readQuantized(t);
        return q != null ? q : readFloatTensor(t);
    }

    @Override
    public void close() {
        arena.close();
    }
}

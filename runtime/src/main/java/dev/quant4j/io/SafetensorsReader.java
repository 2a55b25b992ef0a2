package dev.quant4j.io;

import dev.quant4j.annotations.QuantMode;
import dev.quant4j.annotations.QuantParam;
import dev.quant4j.format.ScaleFormat;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.scheme.SchemeProblem;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.Packing;
import dev.quant4j.tensor.QuantizedTensor;
import dev.quant4j.tensor.Shapes;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A safetensors file, mapped read-only and read one tensor at a time: opening it reads and checks only
 * the header, and each tensor's bytes are read from the mapping when asked for, so nothing holds the
 * whole file on the heap.
 *
 * <p>The file is untrusted. {@link #open} checks, before any tensor is read: the header length (against
 * a limit and the file's size), UTF-8, strict JSON with unique names, known dtypes, non-negative
 * dimensions whose element count times the dtype size equals the data range (no overflow), ranges inside
 * the data section and not overlapping, and the quant4j descriptions of quantized tensors
 * (docs/FILE-FORMAT.md). Every fault is a {@link SafetensorsFormatException} naming the file, the tensor
 * and the byte offset. Unused bytes between or after tensors are allowed and listed in {@link #warnings()}.
 *
 * <p>Not thread-safe to close while reading; reading from several threads is fine.
 */
public final class SafetensorsReader implements AutoCloseable {
    /** Largest header {@link #open(Path)} accepts (the Hugging Face reader uses the same 100 MB). */
    public static final long DEFAULT_MAX_HEADER_BYTES = 100_000_000L;

    private static final ValueLayout.OfFloat F32_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final Arena arena;
    /** The bytes this reader holds: the whole mapped file, or a window of it (see {@link #ofRange}). */
    private final MemorySegment window;
    /** The file offset of {@link #window}'s first byte. */
    private final long windowStart;

    private final long fileSize;
    private final long headerLength;
    private final long dataStart;
    private final Map<String, String> metadata;
    private final Map<String, Long> metadataOffsets;
    private final List<TensorInfo> tensors;
    private final Map<String, TensorInfo> tensorsByName;
    private final List<SafetensorsEntry> entries;
    private final Map<String, SafetensorsEntry> entriesByName;
    private final List<String> warnings = new ArrayList<>();

    private SafetensorsReader(
            Path file,
            Arena arena,
            MemorySegment prefix,
            long fileSize,
            long windowStart,
            MemorySegment window,
            long maxHeaderBytes)
            throws IOException {
        this.file = file;
        this.arena = arena;
        this.window = window;
        this.windowStart = windowStart;
        this.fileSize = fileSize;
        long size = fileSize;
        if (size < 8) {
            throw new SafetensorsFormatException(
                    file,
                    null,
                    0,
                    "the file has " + size
                            + " bytes; a safetensors file starts with an 8-byte header length, so it is truncated or not "
                            + "a safetensors file");
        }
        long n = prefix.get(I64_LE, 0);
        // The length is an unsigned 64-bit number; a negative long is simply a huge one.
        if (n < 0 || n > maxHeaderBytes) {
            throw new SafetensorsFormatException(
                    file,
                    null,
                    0,
                    "the header length is "
                            + Long.toUnsignedString(n) + " bytes, more than the limit of " + maxHeaderBytes
                            + "; this is not a safetensors file or its first 8 bytes are damaged");
        }
        if (n > size - 8) {
            throw new SafetensorsFormatException(
                    file,
                    null,
                    0,
                    "the header length is " + n + " bytes but only " + (size - 8)
                            + " bytes follow the length; the file is truncated");
        }
        if (n == 0) {
            throw new SafetensorsFormatException(file, null, 0, "the header length is 0; a header is at least '{}'");
        }
        if (prefix.byteSize() < 8 + n) {
            throw new IllegalArgumentException("the header of " + file + " has " + n + " bytes, but only "
                    + (prefix.byteSize() - 8) + " of them were given");
        }
        this.headerLength = n;
        this.dataStart = 8 + n;
        byte[] header = prefix.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
        HeaderParser.Header parsed = HeaderParser.parse(file, header, 8);
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(parsed.metadata()));
        this.metadataOffsets = parsed.metadataOffsets();
        this.tensors = List.copyOf(checkTensors(parsed.tensors(), size - dataStart));
        Map<String, TensorInfo> byName = new HashMap<>();
        for (TensorInfo t : tensors) {
            byName.put(t.name(), t);
        }
        this.tensorsByName = Collections.unmodifiableMap(byName);
        this.entries = List.copyOf(buildEntries());
        Map<String, SafetensorsEntry> entryMap = new HashMap<>();
        for (SafetensorsEntry e : entries) {
            entryMap.put(e.name(), e);
        }
        this.entriesByName = Collections.unmodifiableMap(entryMap);
    }

    /** Opens and checks a file with the default header limit. */
    public static SafetensorsReader open(Path file) throws IOException {
        return open(file, DEFAULT_MAX_HEADER_BYTES);
    }

    /**
     * Opens and checks a file.
     *
     * @throws SafetensorsFormatException when the header is malformed (see the class comment)
     * @throws IOException                when the file cannot be read
     */
    // The arena is not left to the garbage collector: it is closed here on failure and otherwise handed to the
    // reader, whose close() closes it. Error Prone's check cannot see that hand-over.
    @SuppressWarnings("MustBeClosedChecker")
    public static SafetensorsReader open(Path file, long maxHeaderBytes) throws IOException {
        if (Files.isDirectory(file)) {
            throw new FileSystemException(file.toString(), null, "is a folder, not a safetensors file");
        }
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            throw new FileSystemException(file.toString(), null, "is not a regular file; quant4j maps its input");
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return new SafetensorsReader(file, arena, seg, seg.byteSize(), 0, seg, maxHeaderBytes);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * A reader over part of a file that lives elsewhere (a distributed file system read by byte ranges):
     * every check of {@link #open} runs on the header, and a tensor can be read when its bytes lie inside
     * the window. Errors name {@code file} and the same file offsets as {@link #open} would.
     *
     * @param header      the file's first bytes: at least its 8-byte length and the header it announces
     *                    (fewer when the file is shorter, or the length is out of range: that is the error
     *                    reported)
     * @param fileSize    the file's size in bytes
     * @param windowStart the file offset of {@code window}'s first byte
     * @param window      bytes of the file starting at {@code windowStart} (may be empty)
     */
    @SuppressWarnings("MustBeClosedChecker") // the arena is the reader's, closed by close()
    public static SafetensorsReader ofRange(Path file, byte[] header, long fileSize, long windowStart, byte[] window)
            throws IOException {
        byte[] prefix = header.length >= 8 ? header : Arrays.copyOf(header, 8);
        // Heap segments need no arena; this one is closed by close(), like a mapped file's.
        Arena arena = Arena.ofShared();
        try {
            return new SafetensorsReader(
                    file,
                    arena,
                    MemorySegment.ofArray(prefix),
                    fileSize,
                    windowStart,
                    MemorySegment.ofArray(window),
                    DEFAULT_MAX_HEADER_BYTES);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private List<TensorInfo> checkTensors(List<HeaderParser.RawTensor> raw, long dataSize)
            throws SafetensorsFormatException {
        List<TensorInfo> out = new ArrayList<>(raw.size());
        for (HeaderParser.RawTensor r : raw) {
            Dtype dtype = Dtype.fromFileName(r.dtype());
            if (dtype == null) {
                throw new SafetensorsFormatException(
                        file,
                        r.name(),
                        r.headerOffset(),
                        "unknown dtype \"" + r.dtype() + "\"; a safetensors dtype is one of " + Dtype.allNames());
            }
            long count = Shapes.elementCountOrNegative(r.shape());
            long bytes = count < 0 ? -1 : dtype.byteSize(count);
            if (count < 0 || bytes < 0) {
                throw new SafetensorsFormatException(
                        file,
                        r.name(),
                        r.headerOffset(),
                        "shape "
                                + Arrays.toString(r.shape()) + " of " + dtype
                                + (count < 0
                                        ? " has more elements than a long counts"
                                        : bytes < 0 && count <= Long.MAX_VALUE / dtype.bits()
                                                ? " does not end on a byte boundary (" + count + " elements of "
                                                        + dtype.bits() + " bits)"
                                                : " takes more bytes than a long counts"));
            }
            if (r.end() < r.begin()) {
                throw new SafetensorsFormatException(
                        file,
                        r.name(),
                        r.headerOffset(),
                        "data_offsets [" + r.begin() + ", " + r.end() + "] end before they begin");
            }
            long span = r.end() - r.begin();
            if (span != bytes) {
                throw new SafetensorsFormatException(
                        file,
                        r.name(),
                        r.headerOffset(),
                        "shape "
                                + Arrays.toString(r.shape()) + " of " + dtype + " holds " + count + " elements = "
                                + bytes
                                + " bytes, but data_offsets [" + r.begin() + ", " + r.end() + "] span " + span
                                + " bytes");
            }
            if (r.end() > dataSize) {
                // An offset beyond the data may be near Long.MAX_VALUE: point at the entry instead of adding.
                long at = r.begin() <= dataSize ? dataStart + r.begin() : r.headerOffset();
                throw new SafetensorsFormatException(
                        file,
                        r.name(),
                        at,
                        "data_offsets ["
                                + r.begin() + ", " + r.end() + "] reach past the end of the data section, which has "
                                + dataSize + " bytes (file size " + (dataStart + dataSize)
                                + "); the file is truncated or the offsets are wrong");
            }
            out.add(new TensorInfo(r.name(), dtype, r.shape(), r.begin(), r.end()));
        }
        out.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        TensorInfo reach = null;
        long reachEnd = 0;
        for (TensorInfo t : out) {
            if (t.byteSize() == 0) {
                continue;
            }
            if (t.begin() < reachEnd) {
                throw new SafetensorsFormatException(
                        file,
                        t.name(),
                        dataStart + t.begin(),
                        "its data ["
                                + t.begin() + ", " + t.end() + ") overlaps tensor '" + reach.name() + "' ["
                                + reach.begin() + ", " + reach.end() + "); tensors must not share bytes");
            }
            if (t.begin() > reachEnd) {
                warnings.add((t.begin() - reachEnd) + " unused bytes in the data section before tensor '"
                        + DisplayText.escape(t.name()) + "' (file offset " + (dataStart + reachEnd) + ")");
            }
            reach = t;
            reachEnd = t.end();
        }
        if (reachEnd < dataSize) {
            warnings.add((dataSize - reachEnd) + " unused bytes after the last tensor (file offset "
                    + (dataStart + reachEnd) + ")");
        }
        return out;
    }

    /** Pairs codes and scales tensors by the quant4j metadata; every other tensor is a plain entry. */
    private List<SafetensorsEntry> buildEntries() throws SafetensorsFormatException {
        Map<String, QuantizedInfo> quantized = new HashMap<>();
        Set<String> consumedScales = new HashSet<>();
        for (Map.Entry<String, String> m : metadata.entrySet()) {
            if (!m.getKey().startsWith(QuantizedLayout.METADATA_PREFIX)) {
                continue;
            }
            String name = m.getKey().substring(QuantizedLayout.METADATA_PREFIX.length());
            QuantizedInfo q = describeQuantized(name, m.getValue());
            quantized.put(name, q);
            consumedScales.add(q.scales().name());
            if (q.offsets() != null) {
                consumedScales.add(q.offsets().name());
            }
        }
        for (String name : quantized.keySet()) {
            if (consumedScales.contains(name)) {
                throw new SafetensorsFormatException(
                        file,
                        name,
                        metadataOffsets.getOrDefault(QuantizedLayout.metadataKey(name), 8L),
                        "it is described as a quantized tensor and "
                                + "also serves as the scales of another; the quant4j metadata is inconsistent");
            }
        }
        List<SafetensorsEntry> out = new ArrayList<>();
        for (TensorInfo t : tensors) {
            QuantizedInfo q = quantized.get(t.name());
            if (q != null) {
                out.add(q);
            } else if (!consumedScales.contains(t.name())) {
                out.add(t);
            }
        }
        return out;
    }

    /** Tensor {@code name}'s metadata entry {@code key} (at {@code keyAt}) cannot be read, for {@code cause}. */
    private SafetensorsFormatException badMetadata(String name, long keyAt, String key, String what, Exception cause) {
        return new SafetensorsFormatException(file, name, keyAt, "metadata \"" + key + "\" " + what, cause);
    }

    private QuantizedInfo describeQuantized(String name, String value) throws SafetensorsFormatException {
        String key = QuantizedLayout.metadataKey(name);
        long keyAt = metadataOffsets.getOrDefault(key, 8L);
        TensorInfo codes = tensorsByName.get(name);
        if (codes == null) {
            throw new SafetensorsFormatException(
                    file,
                    name,
                    keyAt,
                    "metadata \"" + key
                            + "\" describes a quantized tensor, but the file has no tensor of that name (keys starting "
                            + "with \"" + QuantizedLayout.METADATA_PREFIX + "\" are reserved for quant4j)");
        }
        long at = dataStart + codes.begin();
        QuantizedLayout.Description d;
        QuantScheme scheme;
        try {
            d = QuantizedLayout.parseMetadataValue(value);
            scheme = QuantScheme.parse(d.schemeText());
        } catch (IllegalArgumentException e) {
            throw badMetadata(name, keyAt, key, "is not a quant4j description: " + e.getMessage(), e);
        }
        long count;
        try {
            count = Shapes.elementCount(d.shape());
        } catch (ArithmeticException e) {
            throw badMetadata(
                    name,
                    keyAt,
                    key,
                    "gives shape " + Arrays.toString(d.shape()) + ", which has more elements than a long counts",
                    e);
        }
        List<SchemeProblem> problems = scheme.problemsFor(d.shape());
        if (!problems.isEmpty()) {
            throw new SafetensorsFormatException(
                    file,
                    name,
                    keyAt,
                    "metadata \"" + key + "\" gives scheme " + scheme
                            + " that cannot hold shape " + Arrays.toString(d.shape()) + ": "
                            + problems.stream().map(SchemeProblem::toTextString).collect(Collectors.joining("; ")));
        }
        if (count > Shapes.MAX_ARRAY_LENGTH) {
            throw new SafetensorsFormatException(
                    file,
                    name,
                    at,
                    "the quantized tensor has " + count + " elements; quant4j holds at most " + Shapes.MAX_ARRAY_LENGTH
                            + " per tensor");
        }
        Dtype codesDtype = QuantizedLayout.codesDtype(scheme);
        long[] codesShape = QuantizedLayout.codesShape(d.shape(), scheme);
        if (codes.dtype() != codesDtype || !Arrays.equals(codes.shape(), codesShape)) {
            throw new SafetensorsFormatException(
                    file,
                    name,
                    at,
                    "the codes of a " + scheme + " tensor of shape "
                            + Arrays.toString(d.shape()) + " are " + codesDtype + Arrays.toString(codesShape)
                            + ", but the file holds " + codes.dtype() + Arrays.toString(codes.shape()));
        }
        String scalesName = QuantizedLayout.scalesName(name);
        TensorInfo scales = tensorsByName.get(scalesName);
        if (scales == null) {
            throw new SafetensorsFormatException(
                    file, name, at, "the quantized tensor has no scales tensor '" + scalesName + "'");
        }
        Dtype scalesDtype = QuantizedLayout.scalesDtype(scheme.param());
        long[] scalesShape;
        try {
            scalesShape = QuantizedLayout.scalesShape(d.shape(), scheme);
        } catch (IllegalArgumentException e) {
            throw new SafetensorsFormatException(file, name, at, "its block grid is unusable: " + e.getMessage(), e);
        }
        checkParams("scales", scalesName, scales, scalesDtype, scalesShape, scheme, d.shape());
        if (scheme.mode() != QuantMode.AFFINE) {
            return new QuantizedInfo(name, d.shape(), scheme, codes, scales);
        }
        String offsetsName = QuantizedLayout.offsetsName(name);
        TensorInfo offsets = tensorsByName.get(offsetsName);
        if (offsets == null) {
            throw new SafetensorsFormatException(
                    file, name, at, "the affine tensor has no offsets tensor '" + offsetsName + "'");
        }
        checkParams("offsets", offsetsName, offsets, scalesDtype, scalesShape, scheme, d.shape());
        return new QuantizedInfo(name, d.shape(), scheme, codes, scales, offsets);
    }

    /** The scales or offsets tensor {@code t} of a quantized tensor of {@code shape} has the expected dtype and shape. */
    private void checkParams(
            String what, String tensorName, TensorInfo t, Dtype dtype, long[] expected, QuantScheme scheme, int[] shape)
            throws SafetensorsFormatException {
        if (t.dtype() != dtype || !Arrays.equals(t.shape(), expected)) {
            throw new SafetensorsFormatException(
                    file,
                    tensorName,
                    dataStart + t.begin(),
                    "the " + what + " of a "
                            + scheme + " tensor of shape " + Arrays.toString(shape) + " are " + dtype
                            + Arrays.toString(expected) + ", but the file holds " + t.dtype()
                            + Arrays.toString(t.shape()));
        }
    }

    public Path file() {
        return file;
    }

    /** The file's size in bytes. */
    public long fileSize() {
        return fileSize;
    }

    /** Bytes of the JSON header (padding included), not counting the 8-byte length. */
    public long headerLength() {
        return headerLength;
    }

    /** File offset of the data section. */
    public long dataStart() {
        return dataStart;
    }

    /** The whole {@code __metadata__} map, quant4j keys included, in file order. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The {@code __metadata__} entries that do not describe quantized tensors, in file order. */
    public Map<String, String> userMetadata() {
        Map<String, String> out = new LinkedHashMap<>();
        metadata.forEach((k, v) -> {
            if (!k.startsWith(QuantizedLayout.METADATA_PREFIX)) {
                out.put(k, v);
            }
        });
        return out;
    }

    /** Every tensor of the file as stored (codes and scales separately), in data order. */
    public List<TensorInfo> tensors() {
        return tensors;
    }

    /** A stored tensor by name, or null. */
    public TensorInfo tensor(String name) {
        return tensorsByName.get(name);
    }

    /** The logical tensors: quantized tensors as one entry each, other tensors as they are, in data order. */
    public List<SafetensorsEntry> entries() {
        return entries;
    }

    /** A logical tensor by name, or null. */
    public SafetensorsEntry entry(String name) {
        return entriesByName.get(name);
    }

    /** Notes about the file that are not errors (unused bytes), with the file's text escaped for display. */
    public List<String> warnings() {
        return Collections.unmodifiableList(warnings);
    }

    /** The bytes of a tensor, read-only, straight from the mapping (valid until {@link #close()}). */
    public MemorySegment data(TensorInfo t) {
        TensorInfo own = tensorsByName.get(t.name());
        if (!t.equals(own)) {
            throw new IllegalArgumentException("tensor " + DisplayText.escape(t.toString()) + " is not one of " + file);
        }
        long at = dataStart + t.begin();
        if (at < windowStart || at + t.byteSize() > windowStart + window.byteSize()) {
            throw new IllegalStateException("tensor '" + DisplayText.escape(t.name()) + "' (file offsets " + at + " to "
                    + (at + t.byteSize()) + ") lies outside the bytes read of " + file);
        }
        return window.asSlice(at - windowStart, t.byteSize()).asReadOnly();
    }

    /** A copy of a tensor's bytes. */
    public byte[] readBytes(TensorInfo t) throws IOException {
        MemorySegment seg = data(t);
        requireArray(t, seg.byteSize(), "bytes");
        try {
            return seg.toArray(ValueLayout.JAVA_BYTE);
        } catch (InternalError fault) {
            throwIfTruncated(fault);
            throw fault;
        }
    }

    /**
     * After a read of the mapping failed ({@code fault}): throws a {@link FileChangedException} if the
     * file is now shorter than when it was opened (another program truncated it); returns otherwise, and
     * the caller rethrows {@code fault}. For callers that read {@link #data} segments themselves.
     */
    public void throwIfTruncated(Throwable fault) throws FileChangedException {
        long now;
        try {
            now = Files.size(file);
        } catch (IOException gone) {
            return;
        }
        if (now < fileSize) {
            throw new FileChangedException(file, fileSize, now, fault);
        }
    }

    private void requireArray(TensorInfo t, long length, String what) throws SafetensorsFormatException {
        if (length > Shapes.MAX_ARRAY_LENGTH) {
            throw new SafetensorsFormatException(
                    file,
                    t.name(),
                    dataStart + t.begin(),
                    "the tensor has " + length
                            + " " + what + ", more than one Java array holds (" + Shapes.MAX_ARRAY_LENGTH
                            + "); quant4j reads a tensor into one array");
        }
    }

    /** The values of an F32, F16 or BF16 tensor as float32 (exact: both 16-bit types widen exactly). */
    public float[] readFloats(TensorInfo t) throws IOException {
        if (!t.dtype().isQuantizable()) {
            throw new IllegalArgumentException(
                    "tensor '" + DisplayText.escape(t.name()) + "' is " + t.dtype() + ", not F32, F16 or BF16");
        }
        MemorySegment seg = data(t);
        long n = t.elementCount();
        requireArray(t, n, "elements");
        float[] out = new float[(int) n];
        try {
            switch (t.dtype()) {
                case F32 -> MemorySegment.copy(seg, F32_LE, 0, out, 0, out.length);
                case F16 -> {
                    for (int i = 0; i < out.length; i++) {
                        out[i] = Float.float16ToFloat(seg.get(I16_LE, 2L * i));
                    }
                }
                case BF16 -> {
                    for (int i = 0; i < out.length; i++) {
                        out[i] = Float.intBitsToFloat(seg.get(I16_LE, 2L * i) << 16);
                    }
                }
                default -> throw new AssertionError(t.dtype());
            }
        } catch (InternalError fault) {
            throwIfTruncated(fault);
            throw fault;
        }
        return out;
    }

    /** An F32, F16 or BF16 tensor as a float32 tensor. */
    public FloatTensor readFloatTensor(TensorInfo t) throws IOException {
        int[] shape = intShape(t.name(), t.shape(), dataStart + t.begin());
        return FloatTensor.of(readFloats(t), shape);
    }

    /** A float tensor by name. */
    public FloatTensor readFloatTensor(String name) throws IOException {
        return readFloatTensor(requireTensor(name));
    }

    private TensorInfo requireTensor(String name) {
        TensorInfo t = tensorsByName.get(name);
        if (t == null) {
            throw new IllegalArgumentException(file + " has no tensor '" + DisplayText.escape(name) + "'");
        }
        return t;
    }

    private int[] intShape(String name, long[] shape, long at) throws SafetensorsFormatException {
        int[] out = new int[shape.length];
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] > Integer.MAX_VALUE) {
                throw new SafetensorsFormatException(
                        file,
                        name,
                        at,
                        "dimension " + i + " of shape " + Arrays.toString(shape)
                                + " is larger than a Java array index");
            }
            out[i] = (int) shape[i];
        }
        return out;
    }

    /** A quantized tensor by name. */
    public QuantizedTensor readQuantized(String name) throws IOException {
        if (!(entriesByName.get(name) instanceof QuantizedInfo q)) {
            throw new IllegalArgumentException(file + " has no quantized tensor '" + DisplayText.escape(name) + "'");
        }
        return readQuantized(q);
    }

    /**
     * Reads a quantized tensor, bit for bit as it was written. Checks what the header cannot: each scale
     * is a finite, non-negative value of the param type, and each code is one the contract produces.
     */
    public QuantizedTensor readQuantized(QuantizedInfo q) throws IOException {
        if (!q.equals(entriesByName.get(q.name()))) {
            throw new IllegalArgumentException(
                    "quantized tensor " + DisplayText.escape(q.toString()) + " is not one of " + file);
        }
        QuantScheme scheme = q.scheme();
        byte[] codes = readBytes(q.codes());
        int count = (int) q.elementCount();
        long bad = QuantizedLayout.firstInvalidCode(codes, count, scheme);
        if (bad >= 0) {
            long at = dataStart + q.codes().begin() + bad * scheme.value().bits() / 8;
            throw new SafetensorsFormatException(
                    file,
                    q.name(),
                    at,
                    bad == count
                            ? "the padding bits after the last code are not zero"
                            : "code " + bad + " (raw bits 0x"
                                    + Integer.toHexString(Packing.getRaw(
                                            codes, (int) bad, scheme.value().bits()))
                                    + ") is not a " + scheme.value() + " code the quantizer produces");
        }
        float[] scales = readScales(q.scales(), scheme.param());
        if (q.offsets() != null) {
            return readAffine(q, codes, scales);
        }
        for (int i = 0; i < scales.length; i++) {
            float s = scales[i];
            if (!ScaleFormat.isValidScale(s, scheme.value(), scheme.param())) {
                throw new SafetensorsFormatException(
                        file,
                        q.scales().name(),
                        dataStart
                                + q.scales().begin()
                                + (long) i * scheme.param().bytes(),
                        "scale " + i + " is " + s
                                + "; " + scheme.value() + " scales must be finite "
                                + (ScaleFormat.allowsNegative(scheme.value(), scheme.param()) ? "" : "non-negative ")
                                + scheme.param() + " values other than -0.0");
            }
        }
        try {
            return new QuantizedTensor(q.shape(), scheme, codes, scales);
        } catch (IllegalArgumentException e) {
            throw new SafetensorsFormatException(
                    file, q.name(), dataStart + q.codes().begin(), e.getMessage(), e);
        }
    }

    /** The scales (finite, non-negative) and offsets (finite) of an affine tensor, checked, then the tensor. */
    private QuantizedTensor readAffine(QuantizedInfo q, byte[] codes, float[] scales) throws IOException {
        QuantParam param = q.scheme().param();
        float[] offsets = readScales(q.offsets(), param);
        for (int i = 0; i < scales.length; i++) {
            if (!ScaleFormat.isValidAffineScale(scales[i], param)) {
                throw new SafetensorsFormatException(
                        file,
                        q.scales().name(),
                        dataStart + q.scales().begin() + (long) i * param.bytes(),
                        "scale " + i + " is " + scales[i] + "; affine scales must be" + " finite non-negative " + param
                                + " values other than -0.0");
            }
            if (!ScaleFormat.isValidOffset(offsets[i], param)) {
                throw new SafetensorsFormatException(
                        file,
                        q.offsets().name(),
                        dataStart + q.offsets().begin() + (long) i * param.bytes(),
                        "offset " + i + " is " + offsets[i] + "; offsets must be finite");
            }
        }
        try {
            return new QuantizedTensor(q.shape(), q.scheme(), codes, scales, offsets);
        } catch (IllegalArgumentException e) {
            throw new SafetensorsFormatException(
                    file, q.name(), dataStart + q.codes().begin(), e.getMessage(), e);
        }
    }

    private float[] readScales(TensorInfo t, QuantParam param) throws IOException {
        MemorySegment seg = data(t);
        long n = t.elementCount();
        requireArray(t, n, "elements");
        float[] out = new float[(int) n];
        try {
            for (int i = 0; i < out.length; i++) {
                int bits = switch (param) {
                    case F32 -> Float.floatToRawIntBits(seg.get(F32_LE, 4L * i));
                    case F16, BF16 -> seg.get(I16_LE, 2L * i) & 0xFFFF;
                    case UE8M0 -> seg.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
                };
                out[i] = ScaleFormat.decode(bits, param);
            }
        } catch (InternalError fault) {
            throwIfTruncated(fault);
            throw fault;
        }
        return out;
    }

    /**
     * Any logical tensor as float32 values: F32/F16/BF16 as they are, a quantized tensor dequantized.
     *
     * @throws IllegalArgumentException for other dtypes
     */
    public FloatTensor readAsFloat32(SafetensorsEntry e) throws IOException {
        return switch (e) {
            case QuantizedInfo q -> readQuantized(q).dequantize();
            case TensorInfo t -> readFloatTensor(t);
        };
    }

    /** Unmaps the file; segments from {@link #data} are invalid afterwards. */
    @Override
    public void close() {
        arena.close();
    }
}

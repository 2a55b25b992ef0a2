package dev.quant4j.io.gguf;

import dev.quant4j.io.DisplayText;
import dev.quant4j.io.Dtype;
import dev.quant4j.io.TensorSink;
import dev.quant4j.io.TensorSpec;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Writes GGUF v3 files as ggml and llama.cpp read them: little-endian; the metadata with each value's
 * exact type; tensor infos with ggml's dims order ({@code ne[0]} is our last, innermost dimension);
 * the data section at the alignment, tensors in info order, each padded with zeros to the alignment;
 * {@code general.quantization_version} = 2 whenever a tensor is quantized. The header is computed
 * before any data is produced, then each tensor is produced and streamed in turn, so at most one tensor
 * is in memory; the file is written all or nothing ({@link TensorSink#writeFile}).
 */
public final class GgufWriter {
    public static final String QUANTIZATION_VERSION_KEY = "general.quantization_version";
    /** ggml's GGML_QNT_VERSION. */
    public static final int QUANTIZATION_VERSION = 2;

    private GgufWriter() {}

    /** One tensor to write: name, shape in our order (last dimension innermost), ggml type, bytes. */
    public record Tensor(String name, long[] shape, GgmlType type, TensorSpec.ByteSource source) {
        public Tensor {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(source, "source");
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        long elementCount() {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }

        /** A float tensor stored as F32, F16 or BF16 (the 16-bit types round to nearest even). */
        public static Tensor floats(String name, FloatTensor t, GgmlType as) {
            Dtype dtype = switch (as) {
                case F32 -> Dtype.F32;
                case F16 -> Dtype.F16;
                case BF16 -> Dtype.BF16;
                default ->
                    throw new IllegalArgumentException(
                            "floats are written as f32, f16 or bf16, not " + as.ggmlName() + "; quantize them first");
            };
            return new Tensor(name, toLong(t.shape()), as, sink -> sink.writeFloats(t.data(), dtype));
        }

        /**
         * A quantized tensor whose scheme has a ggml twin, produced when the writer reaches it.
         *
         * @throws IllegalArgumentException when the scheme has none (the message says which schemes map)
         */
        public static Tensor quantized(
                String name, int[] shape, QuantScheme scheme, TensorSpec.Producer<QuantizedTensor> source) {
            String why = GgmlBlocks.whyNoTwin(scheme, shape);
            if (why != null) {
                throw new IllegalArgumentException("tensor '" + name + "': " + why);
            }
            return new Tensor(name, toLong(shape), GgmlBlocks.twin(scheme, shape), sink -> {
                QuantizedTensor t = source.get();
                if (!Arrays.equals(t.shape(), shape) || !t.scheme().equals(scheme)) {
                    throw new IllegalStateException("tensor '" + name + "' was declared as " + scheme
                            + Arrays.toString(shape) + " but its producer gave " + t.scheme()
                            + Arrays.toString(t.shape()));
                }
                sink.write(GgmlBlocks.encode(t));
            });
        }

        public static Tensor quantized(String name, QuantizedTensor t) {
            return quantized(name, t.shape(), t.scheme(), () -> t);
        }

        /**
         * The GGUF form of a tensor planned for a safetensors file: a quantized tensor as its ggml twin,
         * an F32 / F16 / BF16 / I8 / I16 / I32 / I64 / F64 tensor as the same ggml type (the same bytes).
         *
         * @throws IllegalArgumentException for a scheme with no twin (naming the schemes that map) or a
         *                                  dtype ggml has no type for
         */
        public static Tensor of(TensorSpec spec) {
            return switch (spec) {
                case TensorSpec.Quantized q -> quantized(q.name(), q.shape(), q.scheme(), q.source());
                case TensorSpec.Raw r -> {
                    GgmlType type = switch (r.dtype()) {
                        case F32 -> GgmlType.F32;
                        case F16 -> GgmlType.F16;
                        case BF16 -> GgmlType.BF16;
                        case I8 -> GgmlType.I8;
                        case I16 -> GgmlType.I16;
                        case I32 -> GgmlType.I32;
                        case I64 -> GgmlType.I64;
                        case F64 -> GgmlType.F64;
                        default ->
                            throw new IllegalArgumentException("tensor '" + DisplayText.escape(r.name())
                                    + "' is " + r.dtype() + ", which has no ggml type; GGUF holds F32, F16, BF16, I8, "
                                    + "I16, I32, I64, F64 and ggml's block types");
                    };
                    yield new Tensor(r.name(), r.shape(), type, r.source());
                }
            };
        }

        /**
         * A float tensor that ggml's own quantizer for {@code type} ({@link GgmlQuants}: Q4_K, Q6_K, Q5_0,
         * Q8_0) turns into blocks when the writer reaches it.
         *
         * @throws IllegalArgumentException for a type {@link GgmlQuants} does not write, or rows that are
         *                                  not a multiple of its block
         */
        public static Tensor quantize(String name, int[] shape, GgmlType type, TensorSpec.Producer<float[]> values) {
            if (!GgmlQuants.writes(type)) {
                throw new IllegalArgumentException("tensor '" + name + "': quant4j's ggml quantizers write q4_k, q6_k, "
                        + "q5_0 and q8_0, not " + type.ggmlName());
            }
            int ne0 = shape.length == 0 ? 1 : shape[shape.length - 1];
            if (ne0 % type.blockSize() != 0) {
                throw new IllegalArgumentException("tensor '" + name + "' " + Arrays.toString(shape) + ": its rows of "
                        + ne0 + " are not a multiple of " + type.ggmlName() + "'s block of " + type.blockSize());
            }
            return new Tensor(name, toLong(shape), type, sink -> sink.write(GgmlQuants.quantize(type, values.get())));
        }

        /** Bytes already in ggml's layout, from another file. */
        public static Tensor raw(String name, long[] shape, GgmlType type, MemorySegment bytes) {
            return new Tensor(name, shape, type, sink -> sink.write(bytes));
        }
    }

    /** Writes a file with the default alignment (32), or the one {@code general.alignment} gives. */
    public static void write(Path destination, Map<String, GgufValue> metadata, List<Tensor> tensors)
            throws IOException {
        Map<String, GgufValue> kv = new LinkedHashMap<>(metadata);
        long alignment = GgufReader.DEFAULT_ALIGNMENT;
        GgufValue a = kv.get(GgufReader.ALIGNMENT_KEY);
        if (a != null) {
            alignment = a.type() == GgufValue.Type.UINT32 ? a.asLong() : 0;
            if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > GgufReader.MAX_ALIGNMENT) {
                throw new IllegalArgumentException(GgufReader.ALIGNMENT_KEY + " must be a UINT32 power of two up "
                        + "to 2^30, not " + a.describe() + " (" + a.type() + ")");
            }
        }
        boolean quantized = tensors.stream().anyMatch(t -> t.type().isQuantized());
        if (quantized && !kv.containsKey(QUANTIZATION_VERSION_KEY)) {
            kv.put(QUANTIZATION_VERSION_KEY, GgufValue.uint32(QUANTIZATION_VERSION));
        }
        for (String key : kv.keySet()) {
            if (key.isEmpty()) {
                throw new IllegalArgumentException("a GGUF metadata key cannot be empty");
            }
            DisplayText.requireUtf8(key, "metadata key");
        }

        Header h = new Header();
        h.i32(GgufReader.MAGIC);
        h.i32(3);
        h.i64(tensors.size());
        h.i64(kv.size());
        for (Map.Entry<String, GgufValue> e : kv.entrySet()) {
            h.string(e.getKey());
            GgufValue v = e.getValue();
            h.i32(v.type().id());
            h.value(v, e.getKey());
        }
        Set<String> names = new HashSet<>();
        List<Long> sizes = new ArrayList<>();
        long offset = 0;
        for (Tensor t : tensors) {
            DisplayText.requireUtf8(t.name(), "tensor name");
            int nameBytes = t.name().getBytes(StandardCharsets.UTF_8).length;
            if (nameBytes >= GgufReader.MAX_NAME_BYTES) {
                throw new IllegalArgumentException("tensor '" + t.name() + "': the name has " + nameBytes
                        + " bytes; ggml allows at most " + (GgufReader.MAX_NAME_BYTES - 1));
            }
            if (!names.add(t.name())) {
                throw new IllegalArgumentException("two tensors are named '" + t.name() + "'; rename or skip one");
            }
            long[] shape = t.shape();
            if (shape.length > GgufReader.MAX_DIMS) {
                throw new IllegalArgumentException("tensor '" + t.name() + "' has " + shape.length
                        + " dimensions; ggml tensors have at most " + GgufReader.MAX_DIMS);
            }
            long ne0 = shape.length == 0 ? 1 : shape[shape.length - 1];
            if (ne0 % t.type().blockSize() != 0) {
                throw new IllegalArgumentException("tensor '" + t.name() + "': its rows have " + ne0 + " elements, "
                        + "not a multiple of " + t.type().ggmlName() + "'s block size "
                        + t.type().blockSize());
            }
            long bytes = t.type().byteSize(t.elementCount());
            h.string(t.name());
            h.i32(shape.length);
            for (int d = shape.length - 1; d >= 0; d--) {
                h.i64(shape[d]);
            }
            h.i32(t.type().id());
            h.i64(offset);
            sizes.add(bytes);
            offset += GgufReader.pad(bytes, alignment);
        }
        byte[] header = h.out.toByteArray();
        byte[] padded = Arrays.copyOf(header, (int) GgufReader.pad(header.length, alignment));
        long align = alignment;
        TensorSink.writeFile(destination, sink -> {
            sink.write(padded);
            for (int i = 0; i < tensors.size(); i++) {
                Tensor t = tensors.get(i);
                long before = sink.written();
                t.source().writeTo(sink);
                long written = sink.written() - before;
                if (written != sizes.get(i)) {
                    throw new IllegalStateException("tensor '" + t.name() + "' ("
                            + t.type().ggmlName()
                            + Arrays.toString(t.shape()) + ") takes " + sizes.get(i) + " bytes but its source wrote "
                            + written);
                }
                long pad = GgufReader.pad(written, align) - written;
                sink.write(new byte[(int) pad]);
            }
        });
    }

    /** The header bytes, little-endian. */
    private static final class Header {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        void i32(int v) {
            for (int i = 0; i < 4; i++) {
                out.write(v >>> (8 * i));
            }
        }

        void i64(long v) {
            for (int i = 0; i < 8; i++) {
                out.write((int) (v >>> (8 * i)));
            }
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            out.writeBytes(b);
        }

        void value(GgufValue v, String key) {
            switch (v.type()) {
                case ARRAY -> {
                    i32(v.elementType().id());
                    i64(v.count());
                    switch (v.value()) {
                        case String[] a -> {
                            for (String s : a) {
                                DisplayText.requireUtf8(s, "string in the value of " + key);
                                string(s);
                            }
                        }
                        case float[] a -> {
                            for (float f : a) {
                                i32(Float.floatToRawIntBits(f));
                            }
                        }
                        case double[] a -> {
                            for (double d : a) {
                                i64(Double.doubleToRawLongBits(d));
                            }
                        }
                        case boolean[] a -> {
                            for (boolean x : a) {
                                out.write(x ? 1 : 0);
                            }
                        }
                        case long[] a -> {
                            for (long x : a) {
                                integer(v.elementType(), x);
                            }
                        }
                        default -> throw new IllegalStateException(v.toString());
                    }
                }
                case STRING -> {
                    DisplayText.requireUtf8(v.asString(), "value of " + key);
                    string(v.asString());
                }
                case FLOAT32 -> i32(Float.floatToRawIntBits((Float) v.value()));
                case FLOAT64 -> i64(Double.doubleToRawLongBits((Double) v.value()));
                case BOOL -> out.write((Boolean) v.value() ? 1 : 0);
                default -> integer(v.type(), v.asLong());
            }
        }

        void integer(GgufValue.Type t, long x) {
            for (int i = 0; i < t.size; i++) {
                out.write((int) (x >>> (8 * i)));
            }
        }
    }

    private static long[] toLong(int[] shape) {
        return Arrays.stream(shape).asLongStream().toArray();
    }
}

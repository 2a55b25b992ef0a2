package dev.quant4j.io;

import dev.quant4j.scheme.InvalidSchemeException;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.scheme.SchemeProblem;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import dev.quant4j.tensor.Shapes;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A tensor to be written: everything the header needs (name, dtype or scheme, shape) up front, and the
 * data only when the writer reaches it. That lets a caller quantize tensor by tensor while the file is
 * written, without holding more than one tensor at a time.
 */
public sealed interface TensorSpec permits TensorSpec.Raw, TensorSpec.Quantized {
    /** The tensor's name in the file. */
    String name();

    /** Writes a tensor's bytes, exactly as many as its dtype and shape take. */
    @FunctionalInterface
    interface ByteSource {
        void writeTo(TensorSink sink) throws IOException;
    }

    /** Produces a value when the writer needs it; may read files, so it may throw. */
    @FunctionalInterface
    interface Producer<T> {
        T get() throws IOException;
    }

    /** A tensor of any dtype whose bytes come from a source. */
    record Raw(String name, Dtype dtype, long[] shape, ByteSource source) implements TensorSpec {
        public Raw {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(dtype, "dtype");
            Objects.requireNonNull(source, "source");
            shape = shape.clone();
            long n = Shapes.elementCountOrNegative(shape);
            if (n < 0 || dtype.byteSize(n) < 0) {
                throw new IllegalArgumentException("tensor '" + DisplayText.escape(name) + "': shape "
                        + Arrays.toString(shape)
                        + " of " + dtype + " has no valid byte size (negative dimension, overflow, or a sub-byte "
                        + "type that does not end on a byte)");
            }
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        /** Bytes the data takes. */
        public long byteSize() {
            return dtype.byteSize(Shapes.elementCountOrNegative(shape));
        }
    }

    /**
     * A quantized tensor; the producer runs when the writer reaches it and must return a tensor of the
     * declared shape and scheme. It becomes two tensors of the file (see {@link QuantizedLayout}).
     * Creating one throws {@link InvalidSchemeException}, with every problem, when the scheme cannot take the
     * shape, and {@link IllegalArgumentException} when the tensor has more elements than one quantized tensor
     * holds. (Javadoc takes no {@code @throws} in a record's class comment.)
     */
    record Quantized(String name, int[] shape, QuantScheme scheme, Producer<QuantizedTensor> source)
            implements TensorSpec {
        public Quantized {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(scheme, "scheme");
            Objects.requireNonNull(source, "source");
            shape = shape.clone();
            long n = Shapes.elementCount(shape);
            // The one check of scheme against shape on the way to a file; the writer trusts it.
            List<SchemeProblem> problems = scheme.problemsFor(shape);
            if (!problems.isEmpty()) {
                throw new InvalidSchemeException(
                        "tensor '" + DisplayText.escape(name) + "' of shape " + Arrays.toString(shape)
                                + " cannot be quantized with " + scheme,
                        problems);
            }
            if (n > Shapes.MAX_ARRAY_LENGTH) {
                throw new IllegalArgumentException("tensor '" + DisplayText.escape(name) + "' of shape "
                        + Arrays.toString(shape)
                        + " has more elements than a quantized tensor holds");
            }
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }
    }

    /** A float tensor written as F32, F16 or BF16. */
    static Raw floats(String name, FloatTensor tensor, Dtype as) {
        return floats(name, tensor.shape(), as, tensor::data);
    }

    /** A float tensor whose values are produced when the writer reaches it. */
    static Raw floats(String name, int[] shape, Dtype as, Producer<float[]> values) {
        if (!as.isQuantizable()) {
            throw new IllegalArgumentException(
                    "tensor '" + DisplayText.escape(name) + "': floats are written as F32, F16 or BF16, not " + as);
        }
        long n = Shapes.elementCount(shape);
        return new Raw(name, as, Arrays.stream(shape).asLongStream().toArray(), sink -> {
            float[] v = values.get();
            if (v.length != n) {
                throw new IllegalStateException("tensor '" + DisplayText.escape(name) + "' was declared with " + n
                        + " elements but its producer gave " + v.length);
            }
            sink.writeFloats(v, as);
        });
    }

    /** A tensor from bytes already in memory. */
    static Raw bytes(String name, Dtype dtype, long[] shape, byte[] data) {
        return new Raw(name, dtype, shape, sink -> sink.write(data));
    }

    /** A tensor copied byte for byte from an open file, under its own name. */
    static Raw copyOf(SafetensorsReader reader, TensorInfo tensor) {
        return new Raw(tensor.name(), tensor.dtype(), tensor.shape(), sink -> {
            try {
                sink.write(reader.data(tensor));
            } catch (IOException | InternalError fault) {
                // Copying pages past the end of a truncated input faults, or fails with EFAULT.
                reader.throwIfTruncated(fault);
                throw fault;
            }
        });
    }

    /** A quantized tensor already computed. */
    static Quantized quantized(String name, QuantizedTensor tensor) {
        return new Quantized(name, tensor.shape(), tensor.scheme(), () -> tensor);
    }

    /** A quantized tensor computed when the writer reaches it. */
    static Quantized quantized(String name, int[] shape, QuantScheme scheme, Producer<QuantizedTensor> producer) {
        return new Quantized(name, shape, scheme, producer);
    }
}

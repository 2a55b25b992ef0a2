package dev.quant4j.model;

import dev.quant4j.calibrate.ScaleSearch;
import dev.quant4j.kernels.Kernels;
import dev.quant4j.kernels.Parallelism;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.lang.ref.SoftReference;
import java.util.Arrays;
import java.util.Objects;

/**
 * A weight tensor that holds either float32 values or quantized data: the field type to use for
 * weights that should stay quantized in memory without the Java agent.
 *
 * <pre>{@code
 * @Quantize(value = Q8S, param = F16) QuantizableTensor w2 = QuantizableTensor.of(values, 64, 256);
 * ...
 * w2.matvec(x, out);      // works on either form
 * float[] w = w2.get();   // float values (dequantized when quantized)
 * }</pre>
 *
 * <p>Immutable: quantizing gives a new holder ({@link #quantize}); the generated visitor assigns it to the
 * field. That makes it safe to share between threads without locks. A quantized holder dequantizes on
 * {@link #get()} and keeps the result behind a {@link SoftReference}, so repeated reads are cheap while
 * memory allows and the floats are dropped again when the garbage collector needs the room; two threads
 * racing on an empty cache may both dequantize, which gives identical arrays.
 */
public final class QuantizableTensor {
    private final FloatTensor floats;
    private final QuantizedTensor quantized;
    private volatile SoftReference<float[]> dequantized;

    private QuantizableTensor(FloatTensor floats, QuantizedTensor quantized) {
        this.floats = floats;
        this.quantized = quantized;
    }

    /**
     * Float weights with a shape, row-major; with no shape given, a vector of {@code data.length}. The
     * array is shared, not copied.
     *
     * @throws IllegalArgumentException if the shape does not hold exactly {@code data.length} values
     */
    public static QuantizableTensor of(float[] data, int... shape) {
        Objects.requireNonNull(data, "data");
        return new QuantizableTensor(shape.length == 0 ? FloatTensor.vector(data) : FloatTensor.of(data, shape), null);
    }

    /** Float weights; the tensor's array is shared, not copied. */
    public static QuantizableTensor of(FloatTensor floats) {
        return new QuantizableTensor(Objects.requireNonNull(floats, "floats"), null);
    }

    /** Quantized weights, e.g. read from a file. */
    public static QuantizableTensor of(QuantizedTensor quantized) {
        return new QuantizableTensor(null, Objects.requireNonNull(quantized, "quantized"));
    }

    /** True when the weights are held quantized. */
    public boolean isQuantized() {
        return quantized != null;
    }

    /** The quantized data, or null when the holder holds floats. */
    public QuantizedTensor quantized() {
        return quantized;
    }

    /** The float tensor this holder was made from, or null when it holds quantized data. */
    public FloatTensor floats() {
        return floats;
    }

    /** A copy of the shape. */
    public int[] shape() {
        return quantized != null ? quantized.shape() : floats.shape();
    }

    /** Number of dimensions. */
    public int rank() {
        return quantized != null ? quantized.rank() : floats.rank();
    }

    /** Number of elements. */
    public int size() {
        return quantized != null ? quantized.size() : floats.size();
    }

    /**
     * The weights as float32, row-major: the held array itself for float weights, or the dequantized
     * values (cached softly) for quantized weights. Treat it as read-only: it is shared.
     */
    public float[] get() {
        if (quantized == null) {
            return floats.data();
        }
        SoftReference<float[]> ref = dequantized;
        float[] cached = ref == null ? null : ref.get();
        if (cached == null) {
            cached = new float[quantized.size()];
            Kernels.active().dequantize(quantized, cached);
            dequantized = new SoftReference<>(cached);
        }
        return cached;
    }

    /** The weights as a float tensor (see {@link #get()} for sharing). */
    public FloatTensor toFloatTensor() {
        return quantized == null ? floats : FloatTensor.of(get(), quantized.shape());
    }

    /** Bytes the weights take as held: 4 per float, or the quantized codes plus scales. */
    public long byteSize() {
        return quantized != null ? quantized.byteSize() : floats.byteSize();
    }

    /**
     * This tensor quantized with {@code scheme} by the active kernels; a quantized holder is returned
     * unchanged.
     *
     * @param name the tensor's name or field path, used in errors
     */
    public QuantizableTensor quantize(String name, QuantScheme scheme) {
        if (quantized != null) {
            return this;
        }
        return of(ScaleSearch.quantize(Kernels.active(), name, floats, scheme.validate(), null));
    }

    /** A float holder with the dequantized values; a float holder is returned unchanged. */
    public QuantizableTensor dequantized() {
        return quantized == null ? this : of(quantized.dequantize());
    }

    /**
     * {@code out = W x} for a rank-2 weight {@code W} of shape {@code [rows, cols]} = {@code [out, in]},
     * row-major: {@code out[r] = sum over c of W[r][c] * x[c]}, on all processors
     * ({@link Parallelism#defaults()}).
     *
     * <p>Quantized weights are multiplied by the fused kernels ({@link Kernels#active()}), which work on
     * the packed codes and never build a float32 copy of the weights; float weights use the kernels'
     * float32 product. The result equals the product of {@link #get()} with {@code x} up to float32
     * summation order. (ONNX and many exports store a linear layer's weight as {@code [in, out]}: give
     * this holder the transpose.)
     *
     * @throws IllegalArgumentException if the tensor is not rank 2 or the vector lengths do not match
     */
    public void matvec(float[] x, float[] out) {
        matvec(x, out, Parallelism.defaults());
    }

    /** {@link #matvec(float[], float[])} with a chosen number of threads. */
    public void matvec(float[] x, float[] out, Parallelism parallelism) {
        int[] shape = shape();
        if (shape.length != 2) {
            throw new IllegalArgumentException(
                    "matvec needs a rank-2 weight [rows, cols], this one has shape " + Arrays.toString(shape));
        }
        int rows = shape[0];
        int cols = shape[1];
        if (x.length != cols || out.length != rows) {
            throw new IllegalArgumentException("matvec of a " + Arrays.toString(shape) + " weight needs x of length "
                    + cols + " and out of length " + rows + ", got " + x.length + " and " + out.length);
        }
        if (quantized != null) {
            Kernels.active().matvec(quantized, x, out, parallelism);
        } else {
            Kernels.active().matvec(floats.data(), rows, cols, x, out, parallelism);
        }
    }

    @Override
    public String toString() {
        return quantized != null
                ? "QuantizableTensor" + Arrays.toString(quantized.shape()) + " " + quantized.scheme()
                : "QuantizableTensor" + Arrays.toString(floats.shape()) + " f32";
    }
}

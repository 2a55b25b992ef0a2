package dev.quant4j.tensor;

/**
 * The service behind {@link QuantizedTensor#dequantize()}: the kernels layer provides it (as
 * {@code META-INF/services/dev.quant4j.tensor.Dequantizer}), so a tensor dequantizes itself with the
 * active kernels while this package, below the kernels, names none of them. Not for users to implement.
 */
public interface Dequantizer {
    /** Writes {@code q * s} for every element of {@code q} into {@code out[0 .. q.size())}. */
    void dequantize(QuantizedTensor q, float[] out);
}

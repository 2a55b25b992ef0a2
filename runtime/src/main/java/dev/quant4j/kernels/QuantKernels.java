package dev.quant4j.kernels;

import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;

/**
 * The quantization kernels. {@link ScalarKernels} is the reference that defines the numbers; every
 * other implementation must give bit-identical results for every input.
 */
public interface QuantKernels {
    /** A short name for logs and benchmark output, e.g. {@code scalar} or {@code panama-512}. */
    String name();

    /**
     * Quantizes a tensor with a scheme (min-max calibration, symmetric).
     *
     * @param name the tensor's name or field path, used in every error message
     * @throws dev.quant4j.quantize.QuantizationException for non-finite input, a scale that overflows
     *         its param type, or a scheme that is invalid for the tensor's shape; nothing is returned then
     */
    QuantizedTensor quantize(String name, FloatTensor tensor, QuantScheme scheme);

    /** Writes {@code q * s} for every element of {@code q} into {@code out[0 .. q.size())}. */
    void dequantize(QuantizedTensor q, float[] out);
}

package dev.quant4j.kernels;

import dev.quant4j.tensor.Dequantizer;
import dev.quant4j.tensor.QuantizedTensor;

/**
 * {@link QuantizedTensor#dequantize()} with {@link Kernels#active()}; found by {@link java.util.ServiceLoader}
 * so that the tensor package does not depend on this one. Public only because the service loader needs it.
 */
public final class ActiveDequantizer implements Dequantizer {
    public ActiveDequantizer() {}

    @Override
    public void dequantize(QuantizedTensor q, float[] out) {
        Kernels.active().dequantize(q, out);
    }
}

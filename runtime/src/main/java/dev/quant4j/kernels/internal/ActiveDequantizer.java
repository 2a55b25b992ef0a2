package dev.quant4j.kernels.internal;

import dev.quant4j.kernels.Kernels;
import dev.quant4j.tensor.Dequantizer;
import dev.quant4j.tensor.QuantizedTensor;

/**
 * Not API: {@link QuantizedTensor#dequantize()} with {@link Kernels#active()}, found by
 * {@link java.util.ServiceLoader} ({@code META-INF/services/dev.quant4j.tensor.Dequantizer} on the class path,
 * {@code provides} in the module descriptor) so that the tensor package does not depend on the kernels. Public only
 * because the service loader instantiates it.
 */
public final class ActiveDequantizer implements Dequantizer {
    public ActiveDequantizer() {}

    @Override
    public void dequantize(QuantizedTensor q, float[] out) {
        Kernels.active().dequantize(q, out);
    }
}

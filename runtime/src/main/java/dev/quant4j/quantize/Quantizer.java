package dev.quant4j.quantize;

import dev.quant4j.calibrate.ScaleSearch;
import dev.quant4j.kernels.Kernels;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.util.Objects;

/**
 * Post-training quantization with one scheme: min-max calibration, then quantize. The scheme is
 * validated once, here, so a bad scheme fails before any tensor is touched.
 */
public final class Quantizer {
    private final QuantScheme scheme;

    public Quantizer(QuantScheme scheme) {
        this.scheme = Objects.requireNonNull(scheme, "scheme").validate();
    }

    /** A quantizer for a scheme in text form, e.g. {@code q4f:block32:f16}. */
    public static Quantizer of(String scheme) {
        return new Quantizer(QuantScheme.parse(scheme));
    }

    public QuantScheme scheme() {
        return scheme;
    }

    /**
     * Quantizes one tensor.
     *
     * @param name the tensor's name or field path, used in errors
     */
    public QuantizedTensor quantize(String name, FloatTensor tensor) {
        return ScaleSearch.quantize(Kernels.active(), name, tensor, scheme, null);
    }
}

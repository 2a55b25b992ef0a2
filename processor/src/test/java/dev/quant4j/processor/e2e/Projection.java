package dev.quant4j.processor.e2e;

import dev.quant4j.annotations.ActivationCalibration;
import dev.quant4j.annotations.ActivationMode;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.annotations.Quantize;
import dev.quant4j.model.QuantizableTensor;

/** Linear layers that declare how their input activations are quantized (issue 11's vocabulary). */
class Projection {
    @Quantize(scheme = Schemes.ATTENTION, activations = ActivationMode.DYNAMIC)
    QuantizableTensor up;

    @Quantize(
            value = QuantValue.Q8S,
            activations = ActivationMode.STATIC,
            activationCalibration = ActivationCalibration.PERCENTILE)
    QuantizableTensor down;

    @Quantize(scheme = Schemes.ATTENTION)
    QuantizableTensor plain;
}

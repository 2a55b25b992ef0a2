package golden.features;

import dev.quant4j.annotations.QuantLevel;
import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.annotations.Quantize;
import dev.quant4j.annotations.QuantizeDefaults;
import dev.quant4j.model.QuantizableTensor;

/** Inherits its attention weights; class defaults for its own fields. */
@QuantizeDefaults(value = QuantValue.Q4S, level = QuantLevel.BLOCK, blockSize = 32, param = QuantParam.BF16)
class Layer extends AttentionBase {
    @Quantize float[][] up;
    @Quantize(value = QuantValue.Q8S, level = QuantLevel.TENSOR) QuantizableTensor down;
    @Quantize(param = QuantParam.F32) private float[] gate;
    float[] upBias;
    Encoder.Norm norm;

    float[] getGate() {
        return gate;
    }

    void setGate(float[] gate) {
        this.gate = gate;
    }
}

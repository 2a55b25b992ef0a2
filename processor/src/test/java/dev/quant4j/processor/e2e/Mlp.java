package dev.quant4j.processor.e2e;

import dev.quant4j.annotations.Dims;
import dev.quant4j.annotations.QuantLevel;
import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.annotations.Quantize;
import dev.quant4j.annotations.QuantizeDefaults;
import dev.quant4j.model.QuantizableTensor;

/** The example, with class defaults (F16 scales) for its fields. */
@QuantizeDefaults(param = QuantParam.F16)
class Mlp {
    final int dim;
    final int hidden;

    @Quantize(level = QuantLevel.BLOCK, blockSize = 32, value = QuantValue.Q4F)
    @Dims({"hidden", "dim"})
    float[] w1;

    @Quantize(value = QuantValue.Q8S)
    QuantizableTensor w2;

    float[] bias;

    Mlp(int dim, int hidden) {
        this.dim = dim;
        this.hidden = hidden;
    }
}

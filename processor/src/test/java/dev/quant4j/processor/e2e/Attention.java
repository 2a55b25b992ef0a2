package dev.quant4j.processor.e2e;

import dev.quant4j.annotations.Dims;
import dev.quant4j.annotations.QuantLevel;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.annotations.Quantize;
import dev.quant4j.model.QuantizableTensor;

/** Every kind of weight field: plain arrays, rows, holders, a private holder with accessors. */
class Attention {
    final int dim;

    @Quantize(scheme = Schemes.ATTENTION)
    @Dims({"dim", "dim"})
    float[] wq;

    @Quantize(scheme = "ATTENTION")
    QuantizableTensor wk;

    @Quantize(
            value = QuantValue.Q8F,
            level = QuantLevel.BLOCK,
            blockSize = {2, 16})
    float[][] wv;

    @Quantize(value = QuantValue.E4M3, level = QuantLevel.BLOCK, blockSize = 32)
    private QuantizableTensor wo;

    Attention(int dim) {
        this.dim = dim;
    }

    QuantizableTensor getWo() {
        return wo;
    }

    void setWo(QuantizableTensor wo) {
        this.wo = wo;
    }
}

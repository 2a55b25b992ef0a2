package golden.mlp;

import static dev.quant4j.annotations.QuantLevel.BLOCK;
import static dev.quant4j.annotations.QuantParam.F16;
import static dev.quant4j.annotations.QuantValue.Q4F;
import static dev.quant4j.annotations.QuantValue.Q8S;

import dev.quant4j.annotations.Quantize;
import dev.quant4j.model.QuantizableTensor;

class Mlp {
    @Quantize(level = BLOCK, blockSize = 32, value = Q4F) float[] w1;   // plain array: needs the agent
    @Quantize(value = Q8S, param = F16) QuantizableTensor w2;             // runtime holder: no agent needed
    float[] bias;                                                         // not annotated: left alone
    Block[] blocks;                                                       // nested modules are walked
}

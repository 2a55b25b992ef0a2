package golden.mlp;

import dev.quant4j.annotations.Quantize;
import dev.quant4j.model.QuantizableTensor;

class Block {
    @Quantize QuantizableTensor attention;
}

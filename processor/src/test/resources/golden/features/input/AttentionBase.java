package golden.features;

import dev.quant4j.annotations.Quantize;
import dev.quant4j.annotations.QuantizeDefaults;
import dev.quant4j.model.QuantizableTensor;

@QuantizeDefaults(scheme = "ATTENTION")
abstract class AttentionBase {
    @Quantize QuantizableTensor query;
    @Quantize QuantizableTensor key;
    @Quantize(scheme = "e4m3:block32") QuantizableTensor value;
}

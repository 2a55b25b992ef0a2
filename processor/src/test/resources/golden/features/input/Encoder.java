package golden.features;

import dev.quant4j.annotations.QuantModule;
import java.util.List;

/** A container of nested modules only. */
@QuantModule
class Encoder {
    Embeddings embeddings;
    Layer[] layers;
    List<Layer> extraLayers;
    private Norm finalNorm;
    transient Layer scratchLayer;

    Norm getFinalNorm() {
        return finalNorm;
    }

    /** A nested model class: its visitor is Encoder_Norm_Quantization. */
    @QuantModule
    static class Norm {
        float[] gamma;
        float[] beta;
    }
}

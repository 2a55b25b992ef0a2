package golden.features;

import dev.quant4j.annotations.Dims;
import dev.quant4j.annotations.Quantize;

class Embeddings {
    static final int POSITIONS = 512;
    int vocab;
    private int dim;
    @Quantize(scheme = "EMBEDDING") @Dims({"vocab", "dim"}) float[] tokens;
    @Quantize(scheme = Schemes.EMBEDDING) @Dims({"POSITIONS", "dim"}) float[] positions;
    @Quantize @Dims({"2", "dim"}) float[] tokenTypes;

    int getDim() {
        return dim;
    }
}

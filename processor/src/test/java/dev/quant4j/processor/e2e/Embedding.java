package dev.quant4j.processor.e2e;

import dev.quant4j.annotations.Dims;
import dev.quant4j.annotations.Quantize;

/** A token embedding table: a plain float[] matrix shaped by {@code @Dims}, with a named scheme. */
class Embedding {
    final int vocab;
    final int dim;

    @Quantize(scheme = "EMBEDDING")
    @Dims({"vocab", "dim"})
    float[] table;

    Embedding(int vocab, int dim) {
        this.vocab = vocab;
        this.dim = dim;
    }
}

package dev.quant4j.processor.e2e;

import dev.quant4j.annotations.QuantModule;
import java.util.ArrayList;
import java.util.List;

/** The root: a container of nested modules only, so it is marked {@code @QuantModule}. */
@QuantModule
class TinyTransformer {
    Embedding embedding;
    Block[] blocks;
    List<LayerNorm> finalNorms = new ArrayList<>();

    TinyTransformer(int vocab, int dim, int hidden, int layers) {
        embedding = new Embedding(vocab, dim);
        blocks = new Block[layers];
        for (int i = 0; i < layers; i++) {
            blocks[i] = new Block(dim, hidden);
        }
        finalNorms.add(new LayerNorm(dim));
    }
}

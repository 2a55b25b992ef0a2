package dev.quant4j.processor.e2e;

import dev.quant4j.annotations.QuantModule;

/** One transformer block: nested modules only. */
@QuantModule
class Block {
    final Attention attention;
    final Mlp mlp;
    final LayerNorm norm;

    Block(int dim, int hidden) {
        attention = new Attention(dim);
        mlp = new Mlp(dim, hidden);
        norm = new LayerNorm(dim);
    }
}

package dev.quant4j.processor.e2e;

import dev.quant4j.annotations.QuantModule;

/** Unquantized weights only: part of the saved state. */
@QuantModule
class LayerNorm {
    float[] gamma;
    float[] beta;
    transient float[] scratch;

    LayerNorm(int dim) {
        scratch = new float[dim];
    }
}

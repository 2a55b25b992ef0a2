package dev.quant4j.it.model;

import dev.quant4j.annotations.Quantize;

/**
 * A model quantized through {@code Quantization.quantizeWeights} (the library path, with a visitor in the shape the
 * processor generates: {@link LiveModel_Quantization}) while other threads read it: a server that re-quantizes
 * weights it keeps serving.
 */
public class LiveModel {
    public static final String WEIGHTS_KEY = "dev.quant4j.it.model.LiveModel#weights";

    @Quantize
    public float[] weights;

    public LiveModel(float[] weights) {
        this.weights = weights;
    }
}

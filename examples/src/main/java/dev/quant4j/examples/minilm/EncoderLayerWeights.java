package dev.quant4j.examples.minilm;

import dev.quant4j.annotations.QuantModule;

/**
 * What the shared forward pass ({@link EncoderMath}) needs from one encoder layer: its sizes, held here
 * once for both variants, and its projections and LayerNorms, which each variant holds its own way.
 *
 * <p>A module (it holds no weights itself) so that the model can name it as a field type; the
 * generated visitors walk the subclass each instance is.
 */
@QuantModule
abstract sealed class EncoderLayerWeights permits EncoderLayer, HolderEncoderLayer {

    // Plain int fields, not accessors: the subclasses' @Dims name them.
    final int hidden;
    final int heads;
    final int intermediateSize;

    EncoderLayerWeights(MiniLmConfig c) {
        if (c.hidden() % c.heads() != 0) {
            throw new IllegalArgumentException(
                    "hidden size " + c.hidden() + " is not a multiple of " + c.heads() + " heads");
        }
        this.hidden = c.hidden();
        this.heads = c.heads();
        this.intermediateSize = c.intermediateSize();
    }

    /**
     * {@code x W^T + b} of one projection over {@code n} tokens: {@code x} is {@code [n, in]}, the result
     * {@code [n, out]}. Implementations read their weight field here, at use time, so that under the Java
     * agent the (rewritten) read is what hands them the weights.
     */
    abstract float[] project(Projection p, float[] x, int n);

    /** The LayerNorm at {@code site}; the field is read here, at use time, as in {@link #project}. */
    abstract LayerNorm layerNorm(LayerNormSite site);
}

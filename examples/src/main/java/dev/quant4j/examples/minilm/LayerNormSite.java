package dev.quant4j.examples.minilm;

/** The two LayerNorms of one encoder layer, by where they sit (as {@link Projection} names the matrices). */
enum LayerNormSite {
    /** After self-attention and its residual. */
    AFTER_ATTENTION,
    /** After the feed-forward block and its residual. */
    AFTER_FEED_FORWARD
}

package dev.quant4j.annotations;

/** Granularity of the scales: one for the whole tensor, or one per block. */
public enum QuantLevel {
    /** One scale for the whole tensor. */
    TENSOR,
    /** One scale per block; the block shape comes from {@link Quantize#blockSize()}. */
    BLOCK
}

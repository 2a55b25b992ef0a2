package dev.quant4j.annotations;

/**
 * Quantization mode: whether a block has a zero point. {@link #SYMMETRIC} is Burn's (a scale only);
 * {@link #AFFINE} adds an offset per block, as ggml's Q4_1, for the full-range integer values Q8F, Q4F and
 * Q2F (docs/NUMERICS.md, "The affine mode").
 */
public enum QuantMode {
    /** Scale only, no zero point: {@code x = q * s} with signed codes. */
    SYMMETRIC,
    /**
     * A scale {@code d >= 0} and an offset {@code m} per block, unsigned codes {@code 0 .. 2^bits - 1}:
     * {@code x = fma(q, d, m)}, ggml's Q4_1 at 4 bits with F16 params. Text form {@code affine}.
     */
    AFFINE
}

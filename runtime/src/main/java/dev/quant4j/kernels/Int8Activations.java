package dev.quant4j.kernels;

import java.util.Objects;

/**
 * Activations {@code [tokens, cols]} quantized per token for the integer products: symmetric int8 codes
 * in {@code [-127, 127]}, row-major like the float32 input, and one float32 scale per run of {@code block}
 * columns of a token ({@code block = cols}: one scale per token), so that
 * {@code x[t, c] ~ codes[t * cols + c] * scales[t * blocksPerToken() + c / block]}. Made by
 * {@link GemmKernels#quantizeActivations}; immutable by contract (the arrays are not copied).
 *
 * @param codes  {@code tokens * cols} codes
 * @param scales {@code tokens * ceil(cols / block)} scales, each {@code >= 0}; 0 for an all-zero run
 * @param block  columns per scale, from 1 to {@code cols}
 */
public record Int8Activations(byte[] codes, float[] scales, int tokens, int cols, int block) {
    public Int8Activations {
        Objects.requireNonNull(codes, "codes");
        Objects.requireNonNull(scales, "scales");
        if (tokens < 1 || cols < 1) {
            throw new IllegalArgumentException(
                    "quantized activations need at least 1 token and 1 column, got [" + tokens + ", " + cols + "]");
        }
        if (block < 1 || block > cols) {
            throw new IllegalArgumentException("an activation block of " + block + " columns does not fit rows of "
                    + cols + "; give 1 to " + cols);
        }
        long nScales = (long) tokens * ((cols + block - 1) / block);
        if ((long) tokens * cols != codes.length || scales.length != nScales) {
            throw new IllegalArgumentException("quantized activations [" + tokens + ", " + cols + "] with blocks of "
                    + block + " need " + (long) tokens * cols + " codes and " + nScales + " scales, got "
                    + codes.length + " and " + scales.length);
        }
    }

    /** Scales per token: {@code ceil(cols / block)}. */
    public int blocksPerToken() {
        return (cols + block - 1) / block;
    }
}

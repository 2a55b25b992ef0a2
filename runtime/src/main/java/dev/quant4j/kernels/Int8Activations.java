package dev.quant4j.kernels;

import java.util.Objects;

/**
 * Activations {@code [tokens, cols]} quantized per token for the integer products: symmetric int8 codes
 * in {@code [-127, 127]}, row-major like the float32 input, and one float32 scale per token (row), so
 * that {@code x[t, c] ~ codes[t * cols + c] * scales[t]}. Made by {@link GemmKernels#quantizeActivations};
 * immutable by contract (the arrays are not copied).
 *
 * @param codes  {@code tokens * cols} codes
 * @param scales {@code tokens} scales, each {@code >= 0}; 0 for an all-zero token (its codes are all 0)
 */
public record Int8Activations(byte[] codes, float[] scales, int tokens, int cols) {
    public Int8Activations {
        Objects.requireNonNull(codes, "codes");
        Objects.requireNonNull(scales, "scales");
        if (tokens < 1 || cols < 1) {
            throw new IllegalArgumentException("quantized activations need at least 1 token and 1 column, got ["
                    + tokens + ", " + cols + "]");
        }
        if ((long) tokens * cols != codes.length || scales.length != tokens) {
            throw new IllegalArgumentException("quantized activations [" + tokens + ", " + cols + "] need "
                    + (long) tokens * cols + " codes and " + tokens + " scales, got " + codes.length + " and "
                    + scales.length);
        }
    }
}

package dev.quant4j.annotations;

/**
 * How a tensor's or block's scale is chosen (docs/NUMERICS.md, "Choosing the scale"). Whatever the
 * choice, the codes follow from the stored scale by the same rule, and the result is read the same way.
 * Text form (in {@code QuantScheme}): {@code mse}, {@code imatrix}, {@code gptq}; MIN_MAX is the default and not written.
 */
public enum Calibration {
    /** The range is the minimum and maximum of the values (Burn's rule, the default). */
    MIN_MAX,
    /**
     * Data-free search: per block, the stored scale (from a grid of clipping ratios, and for the
     * full-range values Q8F, Q4F, Q2F also with the opposite sign) whose codes give the smallest squared
     * error. Integer values only.
     */
    MSE,
    /**
     * Data-aware search: as {@link #MSE}, with each element's squared error weighted by the mean square
     * of the input it multiplies (the diagonal of E[x x^T] of the layer's inputs, as ggml's imatrix),
     * recorded on calibration data. Needs those statistics; integer values only.
     */
    IMATRIX,
    /**
     * Data-aware, GPTQ: the columns of a linear layer's {@code [out, in]} weight quantized in order, each
     * column's rounding error passed on to the later columns through the Cholesky factor of the inverse of
     * the damped second moment of the layer's inputs; each block's scale by the IMATRIX search on the
     * updated values. Needs those second moments; integer values in blocks along the rows.
     */
    GPTQ;

    /** True for the searches, which choose among candidate scales by their squared error. */
    public boolean isSearch() {
        return this != MIN_MAX;
    }
}

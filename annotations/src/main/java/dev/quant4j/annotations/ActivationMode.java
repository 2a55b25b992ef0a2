package dev.quant4j.annotations;

/**
 * How the input activations of a linear layer are quantized when it multiplies by this weight: the
 * seed's two post-training modes (Burn's book names them; PyTorch and ONNX Runtime build them). Either
 * quantized mode gives int8 activations, which the integer kernels multiply by integer weight codes
 * with int32 sums, so it needs an integer weight value and a weight matrix ({@code [out, in]}).
 */
public enum ActivationMode {
    /** Activations stay float32, as without this attribute. Written by leaving the part out of the text form. */
    NONE,
    /**
     * Dynamic: int8 scales per row (token), computed from each input at run time: one per run of B columns
     * of the row (B = 32 in the MiniLM demo; B = the row length gives one per token; docs/NUMERICS.md,
     * "Batched matrix products"). Text form {@code a8dyn}.
     */
    DYNAMIC,
    /**
     * Static: int8 with one scale per tensor, frozen beforehand from the ranges recorded on calibration
     * data; needs an {@link ActivationCalibration} method. Text form {@code a8static}.
     */
    STATIC
}

package dev.quant4j.annotations;

/**
 * How static activation quantization ({@link ActivationMode#STATIC}) finds its frozen scales from the
 * activations recorded on representative inputs (PyTorch's and ONNX Runtime's observers). The exact rule
 * of each is in docs/NUMERICS.md.
 */
public enum ActivationCalibration {
    /** None chosen: right for {@link ActivationMode#NONE} and {@link ActivationMode#DYNAMIC}; STATIC needs one. */
    NONE,
    /** The range is the minimum and maximum over every recorded batch. Text form {@code minmax}. */
    MIN_MAX,
    /** The minimum and maximum of each batch, averaged exponentially across batches. Text form {@code movingminmax}. */
    MOVING_AVERAGE_MIN_MAX,
    /** A percentile of the magnitudes' histogram (99.999 by default, as ONNX Runtime). Text form {@code percentile}. */
    PERCENTILE,
    /** The clipping threshold that minimizes the KL divergence of the histogram (TensorRT style). Text form {@code entropy}. */
    ENTROPY
}

package dev.quant4j.plan;

/**
 * The model's output error as the model's weights are now, on the user's calibration inputs: one call is one
 * pass of the forward function over those inputs, compared with the float32 model's outputs. Lower is better,
 * and the planner adds the errors of fields quantized one at a time, so an error that is close to additive for
 * small independent perturbations fits best: e.g. the mean of {@code 1 - cosine} of each input's output to its
 * float32 output (half the mean squared error of normalised outputs), or a mean squared error.
 */
@FunctionalInterface
public interface OutputError {
    /** Runs the model on the calibration inputs and returns its error against the float32 outputs. */
    double measure();
}

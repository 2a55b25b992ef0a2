package dev.quant4j.kernels;

/**
 * Chooses the kernels once, at start-up. For now only the scalar reference exists; the SIMD
 * implementation plugs in here (see the performance issue).
 */
public final class Kernels {
    private static final QuantKernels ACTIVE = new ScalarKernels();

    private Kernels() {
    }

    /** The kernels in use. */
    public static QuantKernels active() {
        return ACTIVE;
    }

    /** The scalar reference kernels. */
    public static QuantKernels scalar() {
        return ScalarKernels.INSTANCE;
    }
}

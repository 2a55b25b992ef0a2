package dev.quant4j.kernels;

import java.lang.System.Logger.Level;

/**
 * The batched products in use: {@code PanamaGemm} when the SIMD kernels are active ({@link Kernels}
 * decides, with the same properties), else {@code ScalarGemm}. Both give the same bits.
 */
public final class Gemm {
    private static final String PANAMA_CLASS = "dev.quant4j.kernels.PanamaGemm";
    private static final GemmKernels ACTIVE = choose();

    private Gemm() {}

    /** The batched products in use. */
    public static GemmKernels active() {
        return ACTIVE;
    }

    /** The reference batched products. */
    public static GemmKernels scalar() {
        return ScalarGemm.INSTANCE;
    }

    private static GemmKernels choose() {
        if (Kernels.active() == Kernels.scalar()) {
            return ScalarGemm.INSTANCE;
        }
        try {
            return (GemmKernels)
                    Class.forName(PANAMA_CLASS).getDeclaredField("INSTANCE").get(null);
        } catch (ReflectiveOperationException | LinkageError e) {
            System.getLogger("dev.quant4j.kernels")
                    .log(
                            Level.WARNING,
                            "quant4j kernels: the Vector API batched"
                                    + " products failed to load, the scalar ones run: " + e);
            return ScalarGemm.INSTANCE;
        }
    }
}

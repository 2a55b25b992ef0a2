package dev.quant4j.kernels;

import java.lang.System.Logger.Level;
import java.util.Locale;

/**
 * Chooses the kernels once, at class initialisation (Lucene's provider pattern).
 *
 * <p>When the incubator module {@code jdk.incubator.vector} is readable (the JVM was started with
 * {@code --add-modules jdk.incubator.vector}), the SIMD kernels ({@code PanamaKernels}) are used;
 * they give the same bits as the scalar reference. Otherwise the scalar reference runs and one
 * WARNING line says how to turn SIMD on. The SIMD class is loaded by name only after that check,
 * so this class never touches {@code jdk.incubator.vector} when the module is absent.
 *
 * <p>System properties (read once):
 * <ul>
 *   <li>{@code quant4j.kernels=scalar|panama}: force one implementation ({@code panama} still needs
 *       the module);</li>
 *   <li>{@code quant4j.vectorBits=128|256|512}: the SIMD vector width (default: the widest the CPU
 *       has, as {@code VectorShape.preferredShape()} reports it).</li>
 * </ul>
 */
public final class Kernels {
    /** The system property that forces an implementation. */
    public static final String KERNELS_PROPERTY = "quant4j.kernels";
    /** The system property that sets the SIMD vector width in bits. */
    public static final String VECTOR_BITS_PROPERTY = "quant4j.vectorBits";

    private static final String VECTOR_MODULE = "jdk.incubator.vector";
    private static final String PANAMA_CLASS = "dev.quant4j.kernels.PanamaKernels";
    private static final System.Logger LOG = System.getLogger("dev.quant4j.kernels");
    private static final QuantKernels ACTIVE = choose();

    private Kernels() {}

    /** The kernels in use. */
    public static QuantKernels active() {
        return ACTIVE;
    }

    /** The scalar reference kernels. */
    public static QuantKernels scalar() {
        return ScalarKernels.INSTANCE;
    }

    /**
     * The vector width of the SIMD kernels in bits (what {@code -Dquant4j.vectorBits} chose, or the widest
     * the CPU has), or 0 when the Vector API module is not readable. Other SIMD code (the scale search's
     * error kernel) uses it so that it runs at the kernels' width.
     */
    public static int simdBits() {
        return vectorModulePresent() ? SimdWidth.BITS : 0;
    }

    /** Loaded only when the module is present: reading the width initialises the vector species. */
    private static final class SimdWidth {
        static final int BITS = PanamaSpecies.BITS;
    }

    /** True when the Vector API module is readable in this JVM. */
    public static boolean vectorModulePresent() {
        return ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent();
    }

    private static QuantKernels choose() {
        String forced = System.getProperty(KERNELS_PROPERTY, "").trim().toLowerCase(Locale.ROOT);
        if (forced.equals("scalar")) {
            LOG.log(Level.INFO, "quant4j kernels: scalar (forced by -D" + KERNELS_PROPERTY + "=scalar)");
            return ScalarKernels.INSTANCE;
        }
        if (!forced.isEmpty() && !forced.equals("panama")) {
            LOG.log(
                    Level.WARNING,
                    "quant4j kernels: ignoring -D" + KERNELS_PROPERTY + "=" + forced + " (use scalar or panama)");
        }
        if (!vectorModulePresent()) {
            LOG.log(
                    Level.WARNING,
                    "quant4j kernels: SIMD is off, the scalar kernels run (several times slower);"
                            + " start the JVM with --add-modules " + VECTOR_MODULE
                            + " to enable the Vector API kernels");
            return ScalarKernels.INSTANCE;
        }
        try {
            Class<?> c = Class.forName(PANAMA_CLASS);
            QuantKernels k = (QuantKernels) c.getDeclaredMethod("create").invoke(null);
            if (k == null) {
                // The class already logged why (no usable SIMD width on this CPU).
                return ScalarKernels.INSTANCE;
            }
            return k;
        } catch (ReflectiveOperationException | LinkageError e) {
            LOG.log(
                    Level.WARNING,
                    "quant4j kernels: SIMD is off, the scalar kernels run, because the Vector API"
                            + " kernels failed to load: " + e);
            return ScalarKernels.INSTANCE;
        }
    }
}

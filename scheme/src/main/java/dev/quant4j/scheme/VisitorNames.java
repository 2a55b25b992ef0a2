package dev.quant4j.scheme;

import java.util.List;

/**
 * How the generated visitor of a model class is named: the simple names of the class and the classes it
 * is nested in, outermost first, joined by {@code _}, then {@link #SUFFIX}, in the model's package
 * ({@code Outer.Inner} gets {@code Outer_Inner_Quantization}). The processor writes the class under this
 * name and the runtime loads it by this name, so the rule lives here, where both can reach it.
 */
public final class VisitorNames {
    /** The suffix of a generated visitor's simple name. */
    public static final String SUFFIX = "_Quantization";

    private VisitorNames() {}

    /**
     * The visitor's simple name.
     *
     * @param nesting the simple names of the model class and the classes around it, outermost first
     */
    public static String simpleName(List<String> nesting) {
        if (nesting.isEmpty()) {
            throw new IllegalArgumentException("a model class has a name: the nesting is empty");
        }
        return String.join("_", nesting) + SUFFIX;
    }

    /** The visitor's binary name in package {@code pkg} ({@code ""} for the unnamed package). */
    public static String qualifiedName(String pkg, List<String> nesting) {
        return (pkg.isEmpty() ? "" : pkg + ".") + simpleName(nesting);
    }

    /** True when a simple name has the form of a generated visitor's, so generated code must not use it unqualified. */
    public static boolean isVisitorName(String simpleName) {
        return simpleName.endsWith(SUFFIX);
    }
}

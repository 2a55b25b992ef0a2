package dev.quant4j.cli;

/** The JVM ran out of heap: not the input's fault, but the fix is the user's (a larger -Xmx). */
final class OutOfHeapException extends EnvironmentException {
    OutOfHeapException(String tensor, OutOfMemoryError cause) {
        super(message(tensor), cause);
    }

    private static String message(String tensor) {
        return "ran out of Java heap (max " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MB)"
                + (tensor == null ? "" : " on tensor '" + tensor + "'")
                + "; quant4j holds one tensor at a time, so give the JVM at least a few times the largest tensor, "
                + "e.g. JAVA_OPTS=-Xmx8g";
    }
}

package dev.quant4j.it.support;

import dev.quant4j.fields.QuantizedFields;
import java.util.List;

/** Typed access to the agent's status map. */
public final class Status {
    private Status() {}

    public static long number(String key) {
        Object v = QuantizedFields.status().get(key);
        if (!(v instanceof Number n)) {
            throw new AssertionError("status has no number '" + key + "': " + QuantizedFields.status());
        }
        return n.longValue();
    }

    public static String text(String key) {
        return String.valueOf(QuantizedFields.status().get(key));
    }

    @SuppressWarnings("unchecked")
    public static List<String> reports() {
        return (List<String>) QuantizedFields.status().get("modifiedArrayReports");
    }

    /** The cache policy this JVM's agent was started with (set per surefire execution). */
    public static String expectedCache() {
        String expected = System.getProperty("quant4j.it.expectedCache");
        if (expected == null) {
            throw new IllegalStateException("system property quant4j.it.expectedCache is not set; run through Maven");
        }
        return expected;
    }

    public static boolean caching() {
        return !expectedCache().equals("none");
    }
}

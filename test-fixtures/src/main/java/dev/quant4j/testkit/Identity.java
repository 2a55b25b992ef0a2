package dev.quant4j.testkit;

/**
 * Identity checks that name the objects on failure without printing them: JUnit's assertSame prints both
 * values, and for the agent's arrays that is a million floats in the report.
 */
public final class Identity {
    private Identity() {}

    /** Fails unless {@code actual} is the very object {@code expected}. */
    @SuppressWarnings("ReferenceEquality") // identity is what is checked
    public static void assertSame(Object expected, Object actual, String... message) {
        if (expected != actual) {
            throw new AssertionError((message.length > 0 ? message[0] + ": " : "") + "expected the same object, got "
                    + "another " + (actual == null ? "null" : actual.getClass().getSimpleName()));
        }
    }

    /** Fails if {@code actual} is the very object {@code unexpected}. */
    @SuppressWarnings("ReferenceEquality") // identity is what is checked
    public static void assertNotSame(Object unexpected, Object actual, String... message) {
        if (unexpected == actual) {
            throw new AssertionError((message.length > 0 ? message[0] + ": " : "") + "expected another object");
        }
    }
}

package dev.quant4j.spark;

import java.io.IOException;

/** A task's own exception (bad input, a NaN, a full disk) from the Spark exception that wraps it. */
final class SparkErrors {
    private SparkErrors() {}

    /** Throws quant4j's own runtime exception from the cause chain; else returns the I/O error to throw. */
    static IOException unwrap(Exception e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c.getClass().getName().startsWith("dev.quant4j.") && c instanceof RuntimeException r) {
                throw r;
            }
            if (c instanceof IOException io && c != e) {
                return io;
            }
        }
        if (e instanceof IOException io) {
            return io;
        }
        if (e instanceof RuntimeException r) {
            throw r;
        }
        return new IOException(e);
    }
}

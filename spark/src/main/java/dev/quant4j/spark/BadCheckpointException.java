package dev.quant4j.spark;

/** Missing shards, or an index that does not match them: bad input, reported in one line. */
public final class BadCheckpointException extends RuntimeException {
    BadCheckpointException(String message) {
        super(message);
    }
}

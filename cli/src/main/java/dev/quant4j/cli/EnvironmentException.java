package dev.quant4j.cli;

/**
 * The command could not finish for a reason outside quant4j and outside the input's content (the disk
 * is full, the heap ran out, an input changed while it was read): exit code 1, and the message, which
 * says what happened and what to do, is printed as it is rather than as an internal error.
 */
class EnvironmentException extends RuntimeException {
    EnvironmentException(String message, Throwable cause) {
        super(message, cause);
    }
}

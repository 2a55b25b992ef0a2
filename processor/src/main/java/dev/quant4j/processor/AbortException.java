package dev.quant4j.processor;

/**
 * Stops work on one construct (a model class, a field, the class's defaults) after its error has been
 * reported, as AutoValue's {@code AbortProcessingException} does: a validator throws it instead of
 * returning null, and the caller catches it where the next independent construct begins, so that one
 * compilation still reports every field's errors. It carries no message and no stack trace: the message
 * went to javac through {@link Diagnostics} before it was thrown.
 */
final class AbortException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    AbortException() {
        super(null, null, false, false);
    }
}

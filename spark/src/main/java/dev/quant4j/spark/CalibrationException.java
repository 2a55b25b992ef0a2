package dev.quant4j.spark;

/** A calibration record the source or an observer refused, or a source that cannot be made: bad input. */
public final class CalibrationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CalibrationException(String message) {
        super(message);
    }

    CalibrationException(String message, Throwable cause) {
        super(message, cause);
    }
}

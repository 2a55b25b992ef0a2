package dev.quant4j.examples.fashion;

import java.io.IOException;

/** A gzipped IDX file that is not what it says it is; the message names the file and the byte offset. */
public final class IdxFormatException extends IOException {
    public IdxFormatException(String message) {
        super(message);
    }

    public IdxFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}

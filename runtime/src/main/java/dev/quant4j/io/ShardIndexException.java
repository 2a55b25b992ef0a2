package dev.quant4j.io;

import java.io.IOException;

/** A sharded checkpoint's index is malformed: the message names the index file and the fault. */
public class ShardIndexException extends IOException {
    public ShardIndexException(String message) {
        super(message);
    }

    public ShardIndexException(String message, Throwable cause) {
        super(message, cause);
    }
}

package dev.quant4j.examples.minilm.onnx;

import java.io.IOException;

/**
 * The bytes are not an ONNX model this reader can use: truncated, not protobuf, or a tensor whose
 * declared shape does not match its data. The message names the element that is wrong and, where
 * known, the byte offset in the file at which the problem was found.
 */
public final class OnnxFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    /** Byte offset in the file, or -1 when the problem is not tied to one place (e.g. a missing graph). */
    private final long offset;

    public OnnxFormatException(String message, long offset) {
        super(offset >= 0 ? message + " (at byte offset " + offset + ")" : message);
        this.offset = offset;
    }

    public OnnxFormatException(String message, long offset, Throwable cause) {
        super(offset >= 0 ? message + " (at byte offset " + offset + ")" : message, cause);
        this.offset = offset;
    }

    /** Byte offset in the file where the problem was found, or -1. */
    public long offset() {
        return offset;
    }
}

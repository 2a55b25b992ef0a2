package dev.quant4j.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A safetensors file is malformed or does not hold what quant4j expects. The message names the file,
 * the tensor (where one is involved), the byte offset in the file (where one is known) and what is
 * wrong; the same facts are available as fields for tools. The message has the file's text escaped for
 * display ({@link DisplayText}); {@link #tensor()} and {@link #reason()} keep it as it is.
 */
public class SafetensorsFormatException extends IOException {
    private final transient Path file;
    private final String tensor;
    private final long offset;
    private final String reason;

    /**
     * @param file   the file
     * @param tensor the tensor's name, or null when the fault is not about one tensor
     * @param offset the byte offset in the file where the fault is, or -1 when none applies
     * @param reason what is wrong and, where there is one, the fix
     */
    public SafetensorsFormatException(Path file, String tensor, long offset, String reason) {
        super(format(file, tensor, offset, reason));
        this.file = file;
        this.tensor = tensor;
        this.offset = offset;
        this.reason = reason;
    }

    public SafetensorsFormatException(Path file, String tensor, long offset, String reason, Throwable cause) {
        this(file, tensor, offset, reason);
        initCause(cause);
    }

    private static String format(Path file, String tensor, long offset, String reason) {
        StringBuilder sb = new StringBuilder();
        sb.append(file == null ? "<unnamed file>" : file.toString());
        if (tensor != null) {
            sb.append(": tensor '").append(tensor).append('\'');
        }
        if (offset >= 0) {
            sb.append(" (byte offset ").append(offset).append(')');
        }
        sb.append(": ").append(reason);
        // Names and values in the reason come from the file: the message is safe to print.
        return DisplayText.escape(sb.toString());
    }

    /** The file at fault. */
    public Path file() {
        return file;
    }

    /** The tensor at fault, or null. */
    public String tensor() {
        return tensor;
    }

    /** The byte offset in the file, or -1. */
    public long offset() {
        return offset;
    }

    /** What is wrong, without the file, tensor and offset. */
    public String reason() {
        return reason;
    }
}

package dev.quant4j.io;

import dev.quant4j.errors.FileFormatException;
import java.nio.file.Path;

/**
 * A safetensors file is malformed or does not hold what quant4j expects. The message names the file,
 * the tensor (where one is involved), the byte offset in the file (where one is known) and what is
 * wrong; the same facts are available as fields for tools. The message has the file's text escaped for
 * display ({@link DisplayText}); {@link #tensor()} keeps the name as it is.
 */
public class SafetensorsFormatException extends FileFormatException {
    private final String tensor;

    /**
     * @param file   the file
     * @param tensor the tensor's name, or null when the fault is not about one tensor
     * @param offset the byte offset in the file where the fault is, or -1 when none applies
     * @param reason what is wrong and, where there is one, the fix
     */
    public SafetensorsFormatException(Path file, String tensor, long offset, String reason) {
        // Names and values in the reason come from the file: the message is escaped, safe to print.
        super(
                file,
                offset,
                DisplayText.escape(describe(file, tensor == null ? null : "tensor '" + tensor + "'", offset, reason)));
        this.tensor = tensor;
    }

    public SafetensorsFormatException(Path file, String tensor, long offset, String reason, Throwable cause) {
        this(file, tensor, offset, reason);
        initCause(cause);
    }

    /** The tensor at fault, or null. */
    public String tensor() {
        return tensor;
    }
}

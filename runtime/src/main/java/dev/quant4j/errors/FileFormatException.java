package dev.quant4j.errors;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A model file (safetensors, GGUF) is malformed or holds something quant4j cannot read. The message names the
 * file, the tensor or key at fault (where one is involved), the byte offset in the file (where one is known)
 * and what is wrong; the file and the offset are also fields, for tools. Each format has its subclass.
 */
public class FileFormatException extends IOException {
    private final transient Path file;
    private final long offset;

    /**
     * @param file    the file
     * @param offset  the byte offset in the file where the fault is, or -1 when none applies
     * @param message the whole message, as {@link #describe} writes it
     */
    protected FileFormatException(Path file, long offset, String message) {
        super(message);
        this.file = file;
        this.offset = offset;
    }

    /**
     * The message: {@code FILE: ITEM (byte offset N): REASON}, without the item when it is null and without
     * the offset when it is negative; {@code <unnamed file>} for a null file.
     */
    protected static String describe(Path file, String item, long offset, String reason) {
        StringBuilder sb = new StringBuilder();
        sb.append(file == null ? "<unnamed file>" : file.toString());
        if (item != null) {
            sb.append(": ").append(item);
        }
        if (offset >= 0) {
            sb.append(" (byte offset ").append(offset).append(')');
        }
        return sb.append(": ").append(reason).toString();
    }

    /** The file at fault. */
    public Path file() {
        return file;
    }

    /** The byte offset in the file, or -1. */
    public long offset() {
        return offset;
    }
}

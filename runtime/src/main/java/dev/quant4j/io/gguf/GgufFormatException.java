package dev.quant4j.io.gguf;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A GGUF file is malformed, or holds something quant4j cannot read. The message names the file, the
 * tensor or metadata key (where one is involved), the byte offset in the file (where one is known) and
 * what is wrong.
 */
public class GgufFormatException extends IOException {
    private final transient Path file;
    private final String item;
    private final long offset;
    private final String reason;

    /**
     * @param file   the file
     * @param item   the tensor or metadata key at fault (as "tensor 'x'" or "key 'y'"), or null
     * @param offset the byte offset in the file, or -1 when none applies
     * @param reason what is wrong and, where there is one, the fix
     */
    public GgufFormatException(Path file, String item, long offset, String reason) {
        super((file == null ? "<unnamed file>" : file.toString()) + (item == null ? "" : ": " + item)
                + (offset >= 0 ? " (byte offset " + offset + ")" : "") + ": " + reason);
        this.file = file;
        this.item = item;
        this.offset = offset;
        this.reason = reason;
    }

    public Path file() {
        return file;
    }

    /** The tensor or key at fault, or null. */
    public String item() {
        return item;
    }

    /** The byte offset in the file, or -1. */
    public long offset() {
        return offset;
    }

    public String reason() {
        return reason;
    }
}

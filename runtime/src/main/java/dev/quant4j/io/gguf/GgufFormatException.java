package dev.quant4j.io.gguf;

import dev.quant4j.errors.FileFormatException;
import java.nio.file.Path;

/**
 * A GGUF file is malformed, or holds something quant4j cannot read. The message names the file, the
 * tensor or metadata key (where one is involved), the byte offset in the file (where one is known) and
 * what is wrong.
 */
public class GgufFormatException extends FileFormatException {
    /**
     * @param file   the file
     * @param item   the tensor or metadata key at fault (as "tensor 'x'" or "key 'y'"), or null
     * @param offset the byte offset in the file, or -1 when none applies
     * @param reason what is wrong and, where there is one, the fix
     */
    public GgufFormatException(Path file, String item, long offset, String reason) {
        super(file, offset, describe(file, item, offset, reason));
    }
}

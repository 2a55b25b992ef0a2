package dev.quant4j.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Writing a file failed in the file system: no space left, a file-size limit, a quota, an I/O error.
 * The message says which in words and names the destination; the cause is the system's exception.
 * When {@link SafetensorsWriter} throws it, the temporary file is gone and the destination unchanged.
 */
public final class FileWriteException extends IOException {
    private final transient Path file;

    FileWriteException(Path file, IOException cause) {
        super(describe(cause) + " writing " + file, cause);
        this.file = file;
    }

    /** The destination that was being written. */
    public Path file() {
        return file;
    }

    /** The system's error text (strerror) in words a user can act on. */
    private static String describe(IOException e) {
        String m = String.valueOf(e.getMessage());
        if (m.contains("No space left on device")) {
            return "no space left on device";
        }
        if (m.contains("File too large")) {
            return "the file grew past the file-size limit (ulimit -f) or the largest file the file system holds";
        }
        if (m.contains("Disk quota exceeded")) {
            return "disk quota exceeded";
        }
        if (m.contains("Read-only file system")) {
            return "the file system is read-only";
        }
        return "I/O error (" + m + ")";
    }
}

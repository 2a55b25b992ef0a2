package dev.quant4j.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A mapped input was cut short by another program while it was being read. A read of the pages past
 * its new end faults (the JVM raises an InternalError, a write from them fails with EFAULT); the
 * reader turns that into this exception, which names the file and both sizes.
 */
public final class FileChangedException extends IOException {
    private final transient Path file;

    FileChangedException(Path file, long mappedSize, long size, Throwable cause) {
        super(
                file + " was truncated while it was being read (" + mappedSize + " bytes when opened, " + size
                        + " now)",
                cause);
        this.file = file;
    }

    /** The input that changed. */
    public Path file() {
        return file;
    }
}

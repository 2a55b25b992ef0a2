package dev.quant4j.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file all or nothing: into a temporary file next to the destination, forced to disk and
 * renamed over it at the end (atomically where the file system can). If the body fails (a producer
 * throws, a size is wrong, the disk is full) the temporary file is deleted and the destination is left
 * as it was. Every writer of this package goes through here.
 */
final class AtomicFile {
    private AtomicFile() {
    }

    @FunctionalInterface
    interface Body {
        void writeTo(FileChannel channel) throws IOException;
    }

    static void write(Path destination, Body body) throws IOException {
        Path target = destination.toAbsolutePath();
        Path dir = target.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new NoSuchFileException(String.valueOf(dir), null, "the folder to write " + destination
                    + " into does not exist");
        }
        if (Files.isDirectory(target)) {
            throw new FileSystemException(destination.toString(), null, "is a folder; give a file name to write to");
        }
        Path temp = dir.resolve("." + target.getFileName() + "." + Long.toHexString(
                ThreadLocalRandom.current().nextLong() >>> 1) + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                body.writeTo(ch);
                ch.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }
}

package dev.quant4j.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.util.UUID;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes a file whose writer needs a local path (the runtime's {@code SafetensorsWriter}, which commits by
 * temporary file, force and rename) to any Hadoop path, still atomically: on a local file system the
 * writer writes the target itself; elsewhere it writes a local temporary file, which is uploaded under a
 * temporary name beside the target and renamed.
 */
final class HadoopCommit {
    /** Writes a complete file at a local path. */
    @FunctionalInterface
    interface LocalWriter {
        void write(java.nio.file.Path file) throws IOException;
    }

    private HadoopCommit() {}

    static void write(FileSystem fs, Path target, LocalWriter writer) throws IOException {
        if (fs instanceof LocalFileSystem local) {
            writer.write(java.nio.file.Path.of(local.pathToFile(target).getPath()));
            return;
        }
        java.nio.file.Path tmp = Files.createTempFile("quant4j", ".tmp");
        try {
            Files.delete(tmp);
            writer.write(tmp);
            Path remoteTmp = new Path(target.getParent(), "." + target.getName() + "." + UUID.randomUUID() + ".tmp");
            try {
                fs.copyFromLocalFile(false, true, new Path(tmp.toUri()), remoteTmp);
                fs.delete(target, false);
                if (!fs.rename(remoteTmp, target)) {
                    throw new IOException("could not rename " + remoteTmp + " to " + target);
                }
            } finally {
                fs.delete(remoteTmp, false);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}

package dev.quant4j.spark;

import dev.quant4j.io.SafetensorsReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Byte-range reads through the Hadoop FileSystem API (file:, hdfs:, s3a: alike): a header, or the bytes
 * of a few tensors, never a whole file. Positioned reads, so one stream per read and no shared state.
 */
final class HadoopRanges {
    private HadoopRanges() {}

    /** Bytes [offset, offset + length) of a file. */
    static byte[] read(FileSystem fs, Path file, long offset, int length) throws IOException {
        byte[] out = new byte[length];
        try (FSDataInputStream in = fs.open(file)) {
            in.readFully(offset, out, 0, length);
        }
        return out;
    }

    /**
     * The file's first 8 + header-length bytes, or fewer when the length is out of range (the reader
     * then reports exactly what the CLI reports for that file).
     */
    static byte[] header(FileSystem fs, Path file, long fileSize) throws IOException {
        if (fileSize < 8) {
            return read(fs, file, 0, (int) fileSize);
        }
        byte[] first = read(fs, file, 0, 8);
        long n = ByteBuffer.wrap(first).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (n <= 0 || n > SafetensorsReader.DEFAULT_MAX_HEADER_BYTES || n > fileSize - 8) {
            return first;
        }
        return read(fs, file, 0, (int) (8 + n));
    }

    /** The header-only reader of a shard: every header check the CLI runs, no tensor data read. */
    static SafetensorsReader headerReader(FileSystem fs, Path file, byte[] header, long fileSize) throws IOException {
        return SafetensorsReader.ofRange(
                java.nio.file.Path.of(file.toString()), header, fileSize, header.length, new byte[0]);
    }
}

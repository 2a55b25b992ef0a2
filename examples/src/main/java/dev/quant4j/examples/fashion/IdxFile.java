package dev.quant4j.examples.fashion;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * One gzipped IDX file (the MNIST format): two zero bytes, a type byte (only {@code 0x08}, unsigned bytes,
 * is read here), a byte giving the number of dimensions, each dimension as a big-endian int32, then the
 * data, row-major. Offsets in errors count bytes of the decompressed stream, which is what the format
 * describes.
 *
 * <p>Checks everything before trusting it: the magic, the rank the caller expects, dimensions that are
 * positive and whose product fits, the data being exactly as long as the header says (a shorter stream is
 * truncated, a longer one lies about its size), and a gzip stream that ends properly.
 */
public record IdxFile(Path path, int[] dims, byte[] data) {
    /** The only element type the Fashion-MNIST files use. */
    static final int UNSIGNED_BYTE = 0x08;
    /** Larger data sets than this are not IDX files we expect (Fashion-MNIST's largest is 47 MB). */
    static final long MAX_BYTES = 1L << 30;

    /** Reads {@code path}, which must hold {@code rank} dimensions of unsigned bytes. */
    public static IdxFile read(Path path, int rank) throws IOException {
        InputStream raw;
        try {
            raw = Files.newInputStream(path);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(path.toString(), null, "no such file");
        }
        try (InputStream in = new BufferedInputStream(gunzip(path, raw), 1 << 16)) {
            Counting c = new Counting(path, in);
            int zero0 = c.readByte("magic");
            int zero1 = c.readByte("magic");
            int type = c.readByte("type");
            int n = c.readByte("rank");
            if (zero0 != 0 || zero1 != 0) {
                throw new IdxFormatException(path + ": not an IDX file: byte offset 0 holds 0x" + hex(zero0)
                        + hex(zero1) + ", an IDX file starts with 0x0000");
            }
            if (type != UNSIGNED_BYTE) {
                throw new IdxFormatException(path + ": byte offset 2 gives element type 0x" + hex(type)
                        + "; only unsigned bytes (0x08) are read");
            }
            if (n != rank) {
                throw new IdxFormatException(path + ": byte offset 3 gives " + n + " dimensions, expected " + rank
                        + (rank == 1 ? " (a labels file)" : " (an images file)"));
            }
            int[] dims = new int[n];
            long total = 1;
            for (int i = 0; i < n; i++) {
                long offset = c.offset;
                dims[i] = c.readInt("dimension " + i);
                if (dims[i] <= 0) {
                    throw new IdxFormatException(path + ": byte offset " + offset + " gives dimension " + i + " = "
                            + dims[i] + "; dimensions must be positive");
                }
                total *= dims[i];
                if (total > MAX_BYTES) {
                    throw new IdxFormatException(
                            path + ": the dimensions " + Arrays.toString(Arrays.copyOf(dims, i + 1)) + " (byte offset "
                                    + offset + ") give more than " + MAX_BYTES + " bytes of data");
                }
            }
            long header = c.offset;
            byte[] data = new byte[(int) total];
            int got = c.readFully(data);
            if (got < data.length) {
                throw new IdxFormatException(path + ": truncated at byte offset " + (header + got) + ": the header"
                        + " (dimensions " + Arrays.toString(dims) + ") promises " + total + " data bytes after byte "
                        + header + ", the file holds " + got);
            }
            int extra = c.drain();
            if (extra > 0) {
                throw new IdxFormatException(path + ": " + extra + " bytes past the end of the data at byte offset "
                        + (header + total) + ": the header (dimensions " + Arrays.toString(dims)
                        + ") does not describe the file");
            }
            return new IdxFile(path, dims, data);
        }
    }

    private static InputStream gunzip(Path path, InputStream raw) throws IOException {
        try {
            return new GZIPInputStream(raw, 1 << 16);
        } catch (ZipException | EOFException e) {
            raw.close();
            throw new IdxFormatException(
                    path + ": not a gzip file (" + e.getMessage() + "); the data set ships" + " its IDX files gzipped",
                    e);
        }
    }

    private static String hex(int b) {
        return String.format("%02x", b);
    }

    /** Reads with a running offset into the decompressed stream, turning gzip failures into IDX errors. */
    private static final class Counting {
        final Path path;
        final InputStream in;
        long offset;

        Counting(Path path, InputStream in) {
            this.path = path;
            this.in = in;
        }

        int readByte(String what) throws IOException {
            int b = read();
            if (b < 0) {
                throw new IdxFormatException(
                        path + ": truncated at byte offset " + offset + ", inside the header (" + what + ")");
            }
            offset++;
            return b;
        }

        int readInt(String what) throws IOException {
            int v = 0;
            for (int i = 0; i < 4; i++) {
                v = (v << 8) | readByte(what);
            }
            return v;
        }

        int readFully(byte[] into) throws IOException {
            int got = 0;
            while (got < into.length) {
                int r;
                try {
                    r = in.read(into, got, into.length - got);
                } catch (EOFException | ZipException e) {
                    throw broken(offset + got, e);
                }
                if (r < 0) {
                    break;
                }
                got += r;
            }
            offset += got;
            return got;
        }

        int drain() throws IOException {
            int extra = 0;
            byte[] buf = new byte[4096];
            for (int r; (r = readRaw(buf)) > 0; ) {
                extra += r;
            }
            return extra;
        }

        private int readRaw(byte[] buf) throws IOException {
            try {
                return in.read(buf);
            } catch (EOFException | ZipException e) {
                throw broken(offset, e);
            }
        }

        private int read() throws IOException {
            try {
                return in.read();
            } catch (EOFException | ZipException e) {
                throw broken(offset, e);
            }
        }

        private IdxFormatException broken(long at, IOException e) {
            return new IdxFormatException(
                    path + ": the gzip stream is cut or damaged near decompressed byte offset " + at + " ("
                            + e.getMessage() + "); reinstall the data set",
                    e);
        }
    }
}

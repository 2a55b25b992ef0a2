package dev.quant4j.examples.fashion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxFileTest {
    @TempDir
    Path dir;

    /** The bytes of an IDX file of unsigned bytes with the given header dimensions, then {@code data}. */
    static byte[] idx(int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.put((byte) 0).put((byte) 0).put((byte) 0x08).put((byte) dims.length);
        for (int d : dims) {
            b.putInt(d);
        }
        b.put(data);
        return b.array();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(raw);
        }
        return out.toByteArray();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private String failure(Path p, int rank) {
        return assertThrows(IdxFormatException.class, () -> IdxFile.read(p, rank))
                .getMessage();
    }

    @Test
    void readsAWellFormedFile() throws IOException {
        byte[] data = new byte[2 * 3 * 4];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7);
        }
        IdxFile f = IdxFile.read(write("ok.gz", gzip(idx(new int[] {2, 3, 4}, data))), 3);
        assertArrayEquals(new int[] {2, 3, 4}, f.dims());
        assertArrayEquals(data, f.data());
    }

    @Test
    void rejectsTruncatedDataNamingFileAndOffset() throws IOException {
        byte[] raw = idx(new int[] {2, 3, 4}, new byte[24]);
        Path p = write("short.gz", gzip(Arrays.copyOf(raw, raw.length - 5)));
        String m = failure(p, 3);
        assertTrue(m.startsWith(p.toString()), m);
        // 16 header bytes, 19 of the 24 data bytes present: it ends at decompressed offset 35.
        assertTrue(m.contains("truncated at byte offset 35"), m);
        assertTrue(m.contains("promises 24 data bytes") && m.contains("holds 19"), m);
    }

    @Test
    void rejectsATruncatedHeader() throws IOException {
        byte[] raw = idx(new int[] {2, 3, 4}, new byte[0]);
        String m = failure(write("header.gz", gzip(Arrays.copyOf(raw, 10))), 3);
        assertTrue(m.contains("truncated at byte offset 10, inside the header (dimension 1)"), m);
    }

    @Test
    void rejectsAFileThatLiesAboutItsSize() throws IOException {
        // The header says 2 x 3 x 4 = 24 bytes; the file holds 30.
        String m = failure(write("long.gz", gzip(idx(new int[] {2, 3, 4}, new byte[30]))), 3);
        assertTrue(m.contains("6 bytes past the end of the data at byte offset 40"), m);
        // A dimension that would need more data than any file here: rejected before allocating.
        m = failure(write("huge.gz", gzip(idx(new int[] {60000, 60000, 28}, new byte[8]))), 3);
        assertTrue(m.contains("more than 1073741824 bytes"), m);
        m = failure(write("neg.gz", gzip(idx(new int[] {5, -1, 28}, new byte[8]))), 3);
        assertTrue(m.contains("byte offset 8 gives dimension 1 = -1"), m);
    }

    @Test
    void rejectsWrongMagicTypeAndRank() throws IOException {
        byte[] raw = idx(new int[] {3}, new byte[3]);
        byte[] bad = raw.clone();
        bad[1] = 1;
        assertTrue(failure(write("magic.gz", gzip(bad)), 1).contains("byte offset 0 holds 0x0001"));
        bad = raw.clone();
        bad[2] = 0x0D;
        assertTrue(failure(write("type.gz", gzip(bad)), 1).contains("byte offset 2 gives element type 0x0d"));
        assertTrue(failure(write("rank.gz", gzip(raw)), 3).contains("byte offset 3 gives 1 dimensions, expected 3"));
    }

    @Test
    void rejectsFilesThatAreNotGzipOrWhoseStreamIsCut() throws IOException {
        Path plain = write("plain.gz", idx(new int[] {3}, new byte[3]));
        assertTrue(failure(plain, 1).contains("not a gzip file"));
        byte[] gz = gzip(idx(new int[] {4000}, new byte[4000]));
        String m = failure(write("cut.gz", Arrays.copyOf(gz, gz.length - 12)), 1);
        assertTrue(m.startsWith(dir.resolve("cut.gz").toString()), m);
        assertTrue(m.contains("cut or damaged") || m.contains("truncated"), m);
    }

    @Test
    void theDataSetRejectsBadLabelsAndMismatchedCounts() throws IOException {
        byte[] images = gzip(idx(new int[] {2, 28, 28}, new byte[2 * 784]));
        write("train-images-idx3-ubyte.gz", images);
        write("t10k-images-idx3-ubyte.gz", images);
        write("t10k-labels-idx1-ubyte.gz", gzip(idx(new int[] {2}, new byte[] {1, 9})));
        write("train-labels-idx1-ubyte.gz", gzip(idx(new int[] {2}, new byte[] {3, 12})));
        String m = assertThrows(IdxFormatException.class, () -> FashionMnist.load(dir))
                .getMessage();
        assertTrue(m.contains("label 12 at byte offset 9"), m);
        write("train-labels-idx1-ubyte.gz", gzip(idx(new int[] {3}, new byte[] {3, 2, 1})));
        m = assertThrows(IdxFormatException.class, () -> FashionMnist.load(dir)).getMessage();
        assertTrue(m.contains("holds 2 images but") && m.contains("holds 3 labels"), m);
        write("train-labels-idx1-ubyte.gz", gzip(idx(new int[] {2}, new byte[] {3, 2})));
        FashionMnist.Data d = FashionMnist.load(dir);
        assertEquals(2, d.train().count());
        assertEquals(9, d.test().labels()[1]);
    }

    @Test
    void aMissingDataSetSaysHowToInstallIt() {
        Path empty = dir.resolve("none");
        String m = assertThrows(java.nio.file.NoSuchFileException.class, () -> FashionMnist.load(empty))
                .getReason();
        assertTrue(m.contains("apt-get install dataset-fashion-mnist"), m);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = QatMain.run(
                new String[] {"--data", empty.toString()}, new java.io.PrintStream(out), new java.io.PrintStream(err));
        assertEquals(3, rc);
        assertTrue(err.toString().contains("sudo apt-get install dataset-fashion-mnist"), err.toString());
    }
}

package dev.quant4j.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchTest {
    @Test
    void readsThePeerBenchResultLinesInGigabytesPerSecond(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("peer.txt");
        Files.writeString(f, """
                quantize q8_0  CPU backend from_float (runtime SIMD path, libggml-cpu-sapphirerapids.so)
                    runs: 0.0474s 0.0482s 0.0488s
                  RESULT cpu_from_float_q8_0: 5564.8 MB/s of float32 input (0.048 s)
                  RESULT vec_dot_q4_0_q8_0: 5.59 GB/s of q4_0 weights read (9.9 Gvalues/s, 0.0068 s)
                """);
        Map<String, Double> m = Bench.readPeer(f);
        assertEquals(2, m.size());
        assertEquals(5.5648, m.get("cpu_from_float_q8_0"), 1e-12);
        assertEquals(5.59, m.get("vec_dot_q4_0_q8_0"), 1e-12);
    }

    @Test
    void aFileWithoutResultsIsRejectedWithTheReason(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("empty.txt");
        Files.writeString(f, "nothing here\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Bench.readPeer(f));
        assertTrue(e.getMessage().contains("no 'RESULT name: value GB/s' lines"), e.getMessage());
    }

    @Test
    void fillGivesUnitVarianceDataLikeThePeerBench() {
        float[] x = new float[1 << 16];
        Bench.fill(x);
        double mean = 0;
        double sq = 0;
        for (float v : x) {
            mean += v;
            sq += (double) v * v;
        }
        mean /= x.length;
        double var = sq / x.length - mean * mean;
        assertEquals(0, mean, 0.02);
        assertEquals(1, var, 0.03);
    }

    @Test
    void unknownOptionsAreRejected() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Bench.main(new String[] {"--fast"}));
        assertTrue(e.getMessage().contains("unknown option --fast"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Bench.main(new String[] {"--threads", "1"}));
        assertTrue(e.getMessage().contains("--threads must be at least 2"), e.getMessage());
    }
}

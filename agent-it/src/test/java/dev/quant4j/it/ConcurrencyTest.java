package dev.quant4j.it;

import static dev.quant4j.testkit.Identity.assertSame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.quant4j.it.model.Vector;
import dev.quant4j.it.support.Status;
import dev.quant4j.tensor.QuantizedTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Many threads read one quantized field at the same moment, through the rewritten field read. */
class ConcurrencyTest {
    private static final int THREADS = 16;
    private static final int ROUNDS = 5;

    @Test
    void concurrentReadersSeeWholeArraysAndShareOneDequantizationPerMiss() throws Exception {
        // 200,000 floats (800 KB) fit even the 1 MiB budget of the check execution, so every round is one miss.
        Vector v = new Vector(200_000, 11);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            for (int round = 0; round < ROUNDS; round++) {
                // Requantizing drops the cached array: each round starts with a miss.
                v.values = new Vector(200_000, 100 + round).values;
                QuantizedTensor q = v.quantizeWeights();
                float[] expected = q.dequantize().data();
                CyclicBarrier start = new CyclicBarrier(THREADS);
                long before = Status.number("dequantizations");
                List<Future<float[]>> reads = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    reads.add(pool.submit(() -> {
                        start.await();
                        return v.values;
                    }));
                }
                float[] first = reads.getFirst().get();
                for (Future<float[]> f : reads) {
                    float[] got = f.get();
                    // Every element, up to the last: a partly filled array would differ at its tail.
                    assertArrayEquals(expected, got, "round " + round);
                    if (Status.caching()) {
                        assertSame(first, got, "round " + round + ": one array for all readers");
                    }
                }
                long dequantizations = Status.number("dequantizations") - before;
                assertEquals(
                        Status.caching() ? 1 : THREADS,
                        dequantizations,
                        "round " + round + " with cache=" + Status.expectedCache());
            }
        } finally {
            pool.shutdownNow();
        }
    }
}

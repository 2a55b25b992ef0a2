package dev.quant4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.it.model.LiveModel;
import dev.quant4j.it.model.Weights;
import dev.quant4j.model.Quantization;
import dev.quant4j.quantize.Quantizer;
import dev.quant4j.tensor.FloatTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * docs/AGENT.md promises that a reader racing with a change of the weights sees the old or the new weights, never
 * null: here a writer alternates "write new floats" and {@code Quantization.quantizeWeights} while reader threads read
 * the field through its rewritten GETFIELD, and every read is checked against the versions the writer had finished
 * before the read began and started before it ended.
 */
class ReadDuringQuantizeTest {
    private static final int N = 4096;
    private static final int READERS = 6;
    /** 300 in the build; raise it for a longer soak: {@code -Dquant4j.it.stressRounds=5000}. */
    private static final int ROUNDS = Integer.getInteger("quant4j.it.stressRounds", 300);

    private static final long TIME_LIMIT_NANOS = ROUNDS <= 300 ? 8_000_000_000L : 120_000_000_000L;

    private static volatile boolean stop;

    @Test
    void readersSeeTheOldOrTheNewWeightsWhileTheModelIsRequantized() throws Exception {
        // Version 2r is the floats written in round r, 2r+1 the same floats quantized (what reads then return).
        float[][] versions = new float[2 * ROUNDS][];
        Quantizer q8 = Quantizer.of("q8s");
        Map<Integer, List<Integer>> byFirst = new HashMap<>();
        for (int r = 0; r < ROUNDS; r++) {
            versions[2 * r] = Weights.flat(N, 5000 + r);
            versions[2 * r + 1] = q8.quantize("weights", FloatTensor.vector(versions[2 * r]))
                    .dequantize()
                    .data();
        }
        for (int v = 0; v < versions.length; v++) {
            byFirst.computeIfAbsent(Float.floatToRawIntBits(versions[v][0]), k -> new ArrayList<>())
                    .add(v);
        }
        LiveModel model = new LiveModel(versions[0].clone());
        Quantization.quantizeWeights(model);
        AtomicLong started = new AtomicLong(1); // the last version the writer began to install
        AtomicLong finished = new AtomicLong(1); // the last version it completed
        stop = false;
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        AtomicLong nulls = new AtomicLong();
        AtomicLong reads = new AtomicLong();
        CountDownLatch ready = new CountDownLatch(READERS);
        List<Thread> readers = new ArrayList<>();
        for (int t = 0; t < READERS; t++) {
            Thread reader = new Thread(
                    () -> {
                        ready.countDown();
                        while (!stop) {
                            long lo = finished.get();
                            float[] w = model.weights;
                            long hi = started.get();
                            reads.incrementAndGet();
                            if (w == null) {
                                nulls.incrementAndGet();
                                continue;
                            }
                            int v = versionOf(w, versions, byFirst);
                            if ((v < lo || v > hi) && failures.size() < 10) {
                                failures.add(
                                        "read version " + v + " while versions " + lo + ".." + hi + " were current");
                            }
                        }
                    },
                    "reader-" + t);
            reader.setDaemon(true);
            readers.add(reader);
            reader.start();
        }
        ready.await();
        long deadline = System.nanoTime() + TIME_LIMIT_NANOS;
        int rounds = 1;
        try {
            for (int r = 1; r < ROUNDS && System.nanoTime() < deadline; r++, rounds++) {
                started.set(2L * r);
                model.weights = versions[2 * r].clone();
                finished.set(2L * r);
                started.set(2L * r + 1);
                Quantization.quantizeWeights(model);
                finished.set(2L * r + 1);
                Thread.onSpinWait();
            }
        } finally {
            stop = true;
            for (Thread reader : readers) {
                reader.join(10_000);
            }
        }
        System.out.println("ReadDuringQuantizeTest: " + reads.get() + " reads by " + READERS + " threads in " + rounds
                + " rounds, " + nulls.get() + " null, " + failures.size() + " out of order");
        assertTrue(reads.get() >= rounds, "the readers read " + reads.get() + " times in " + rounds + " rounds");
        assertEquals(
                0,
                nulls.get(),
                nulls.get() + " of " + reads.get() + " reads saw null in " + rounds
                        + " rounds of write + quantizeWeights");
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /** Which version an array read from the field is; -1 when it is none of them (a torn or foreign array). */
    private static int versionOf(float[] w, float[][] versions, Map<Integer, List<Integer>> byFirst) {
        if (w.length != N) {
            return -1;
        }
        List<Integer> candidates = byFirst.get(Float.floatToRawIntBits(w[0]));
        if (candidates != null) {
            for (int v : candidates) {
                if (Arrays.equals(versions[v], w)) {
                    return v;
                }
            }
        }
        return -1;
    }
}

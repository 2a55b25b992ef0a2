package dev.quant4j.agent.store;

import static dev.quant4j.testkit.Identity.assertNotSame;
import static dev.quant4j.testkit.Identity.assertSame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.agent.AgentOptions;
import dev.quant4j.quantize.Quantizer;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import dev.quant4j.testfixtures.NoFloatArrays;
import dev.quant4j.testfixtures.SubWeights;
import dev.quant4j.testfixtures.Weights;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The store on its own (no rewriting): the hooks are called directly, as rewritten code would. */
class AgentFieldStoreTest {
    private static final String W = "dev.quant4j.testfixtures.Weights#w";
    private static final String ROWS = "dev.quant4j.testfixtures.Weights#rows";
    private static final Quantizer Q8 = Quantizer.of("q8s");

    private static AgentFieldStore store(String options) {
        return new AgentFieldStore(AgentOptions.parse(options, new Properties(), 1L << 30), null);
    }

    private static float[] randomWeights(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextDouble(-1, 1);
        }
        return a;
    }

    private static QuantizedTensor q(float[] data) {
        return Q8.quantize("test", FloatTensor.vector(data));
    }

    /** A fresh owner whose field {@code s} holds quantized, from {@code randomWeights(seed, n)}. */
    private static Weights quantizedWeights(AgentFieldStore s, long seed, int n) {
        Weights m = new Weights();
        quantizeField(s, m, randomWeights(seed, n));
        return m;
    }

    /** What the generated quantizeWeights does: quantize the current array, null the field, store. */
    private static QuantizedTensor quantizeField(AgentFieldStore s, Weights owner, float[] data) {
        QuantizedTensor qt = q(data);
        s.write(owner, null, W);
        owner.w = null;
        s.store(owner, W, qt);
        return qt;
    }

    private static float[] read(AgentFieldStore s, Weights owner) {
        return (float[]) s.read(owner, owner.w, W);
    }

    private static long stat(AgentFieldStore s, String key) {
        return ((Number) s.status().get(key)).longValue();
    }

    @Test
    void aFieldThatHoldsAnArrayIsReturnedAsItIs() {
        AgentFieldStore s = store("cache=budget:1m");
        Weights m = new Weights();
        float[] own = {1, 2};
        m.w = own;
        assertSame(own, read(s, m));
        assertNull(read(s, new Weights()), "null stays null");
    }

    @Test
    void aQuantizedFieldReadsAsItsDequantizedValuesAndTheCacheKeepsThem() {
        AgentFieldStore s = store("cache=budget:1m");
        Weights m = new Weights();
        QuantizedTensor qt = quantizeField(s, m, randomWeights(1, 1000));
        float[] first = read(s, m);
        assertArrayEquals(qt.dequantize().data(), first);
        assertSame(first, read(s, m), "a hit returns the cached array");
        assertEquals(1, stat(s, "dequantizations"));
        assertSame(qt, s.quantized(m, W));
        assertEquals(1, stat(s, "quantizedFields"));
        assertEquals(qt.byteSize(), stat(s, "quantizedBytes"));
        assertEquals(1, stat(s, "cachedArrays"));
    }

    @Test
    void cacheNoneDequantizesOnEveryRead() {
        AgentFieldStore s = store("cache=none");
        Weights m = new Weights();
        QuantizedTensor qt = quantizeField(s, m, randomWeights(2, 100));
        float[] a = read(s, m);
        float[] b = read(s, m);
        assertNotSame(a, b);
        assertArrayEquals(qt.dequantize().data(), a);
        assertArrayEquals(a, b);
        assertEquals(2, stat(s, "dequantizations"));
        assertEquals(0, stat(s, "cachedArrays"));
    }

    @Test
    void cacheSoftKeepsTheArrayWhileMemoryAllows() {
        AgentFieldStore s = store("cache=soft");
        Weights m = quantizedWeights(s, 3, 100);
        float[] a = read(s, m);
        assertSame(a, read(s, m));
        assertEquals(1, stat(s, "cachedArrays"));
        assertEquals(-1, stat(s, "cacheBudgetBytes"));
    }

    @Test
    void theBudgetEvictsTheLeastRecentlyUsedArray() {
        int n = 1000;
        long arrayBytes = Entry.flatBytes(n);
        // Room for two arrays, not three.
        AgentFieldStore s = store("cache=budget:" + (2 * arrayBytes + 10));
        Weights a = new Weights();
        Weights b = new Weights();
        Weights c = new Weights();
        quantizeField(s, a, randomWeights(4, n));
        quantizeField(s, b, randomWeights(5, n));
        quantizeField(s, c, randomWeights(6, n));
        float[] a1 = read(s, a);
        float[] b1 = read(s, b);
        assertSame(a1, read(s, a), "a is now more recently used than b");
        read(s, c);
        assertEquals(1, stat(s, "evictions"));
        assertSame(a1, read(s, a), "a stayed");
        assertNotSame(b1, read(s, b), "b was evicted and dequantized again");
        assertEquals(2 * arrayBytes, stat(s, "cachedBytes"));
    }

    @Test
    void anArrayLargerThanTheBudgetIsNeverResidentAndKeptOnlyWhileItIsTheLastOneRead() {
        AgentFieldStore s = store("cache=budget:1k");
        Weights m = new Weights();
        Weights other = new Weights();
        quantizeField(s, m, randomWeights(7, 1000));
        quantizeField(s, other, randomWeights(8, 10));
        float[] first = read(s, m);
        assertSame(first, read(s, m), "the array being read (a loop over the field) is pinned, not dequantized again");
        assertEquals(1, stat(s, "uncacheable"));
        assertEquals(0, stat(s, "cachedBytes"), "never counted as resident");
        assertEquals(Entry.flatBytes(1000), stat(s, "pinnedOverBudgetBytes"));
        read(s, other);
        assertEquals(0, stat(s, "pinnedOverBudgetBytes"), "reading another field lets the over-budget array go");
        assertNotSame(first, read(s, m));
        assertEquals(2, stat(s, "uncacheable"));
    }

    @Test
    void aWriteDropsTheQuantizedDataAndALaterStoreQuantizesAgain() {
        AgentFieldStore s = store("cache=budget:1m");
        Weights m = quantizedWeights(s, 8, 100);
        read(s, m);
        float[] replacement = {9, 8, 7};
        s.write(m, replacement, W);
        m.w = replacement;
        assertNull(s.quantized(m, W));
        assertSame(replacement, read(s, m));
        assertEquals(0, stat(s, "cachedBytes"), "the cached array of the old weights is released");
        s.write(m, null, W);
        m.w = null;
        assertNull(read(s, m), "writing null clears the weights");
        QuantizedTensor again = quantizeField(s, m, replacement);
        assertArrayEquals(again.dequantize().data(), read(s, m));
    }

    @Test
    void replaceWithQuantizedPublishesTheDataBeforeTheFieldIsCleared() {
        AgentFieldStore s = store("cache=budget:1m");
        Weights m = new Weights();
        float[] floats = randomWeights(21, 64);
        m.w = floats;
        QuantizedTensor qt = q(floats);
        float[] expected = qt.dequantize().data();
        s.replaceWithQuantized(m, W, qt, () -> {
            assertSame(qt, s.quantized(m, W), "published before the clear");
            assertSame(floats, read(s, m), "until the field is null, readers get its floats");
            assertArrayEquals(expected, (float[]) s.read(m, null, W), "a reader that sees the null finds the data");
            m.w = null;
            s.write(m, null, W); // what the rewritten PUTFIELD calls: the publishing thread's clear keeps the data
        });
        assertSame(qt, s.quantized(m, W));
        assertArrayEquals(expected, read(s, m));
        s.write(m, null, W);
        assertNull(s.quantized(m, W), "after the publication a write of null clears the weights as before");
    }

    @Test
    void replaceWithQuantizedKeepsNothingWhenTheFieldIsNotCleared() {
        AgentFieldStore s = store("cache=budget:1m");
        Weights m = new Weights();
        float[] floats = randomWeights(22, 8);
        m.w = floats;
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> s.replaceWithQuantized(m, W, q(floats), () -> {}));
        assertTrue(e.getMessage().contains(W) && e.getMessage().contains("clearField"), e.getMessage());
        assertNull(s.quantized(m, W), "no quantized data next to an array in the field");
        assertSame(floats, read(s, m));
    }

    @Test
    void aReaderThatSawNullBeforeAWriteLandedGetsTheWrittenArray() {
        AgentFieldStore s = store("cache=budget:1m");
        Weights m = quantizedWeights(s, 23, 16);
        float[] written = {4, 5};
        m.w = written;
        s.write(m, written, W); // the rewritten PUTFIELD: the value is in the field, then the data is dropped
        assertSame(
                written, s.read(m, null, W), "the raw null this reader saw is stale: the field's array is the answer");
    }

    @Test
    void storingWhileTheFieldStillHoldsAnArrayIsRefused() {
        AgentFieldStore s = store("cache=budget:1m");
        Weights m = new Weights();
        m.w = new float[] {1};
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.store(m, W, q(m.w)));
        assertTrue(e.getMessage().contains(W) && e.getMessage().contains("write null"), e.getMessage());
    }

    @Test
    void rowFieldsReadAsRowsOfTheTensorShape() {
        AgentFieldStore s = store("cache=budget:1m");
        Weights m = new Weights();
        float[] flat = randomWeights(9, 3 * 5);
        QuantizedTensor qt = Q8.quantize("rows", FloatTensor.of(flat, 3, 5));
        s.store(m, ROWS, qt);
        float[][] rows = (float[][]) s.read(m, m.rows, ROWS);
        float[] expected = qt.dequantize().data();
        assertEquals(3, rows.length);
        for (int r = 0; r < 3; r++) {
            assertArrayEquals(java.util.Arrays.copyOfRange(expected, r * 5, r * 5 + 5), rows[r], "row " + r);
        }
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> s.store(new Weights(), ROWS, q(flat)));
        assertTrue(e.getMessage().contains("[rows, cols]"), e.getMessage());
    }

    @Test
    void badKeysAreRefusedWithTheKeyInTheMessage() {
        AgentFieldStore s = store("cache=none");
        QuantizedTensor qt = q(new float[] {1});
        for (String bad : List.of(
                "noHash",
                "#w",
                "dev.quant4j.testfixtures.Weights#",
                "a#b#c",
                "dev.quant4j.testfixtures.Other#w",
                "dev.quant4j.testfixtures.Weights#missing")) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> s.store(new Weights(), bad, qt));
            assertTrue(e.getMessage().contains(bad), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> s.store(new NoFloatArrays(), "dev.quant4j.testfixtures.NoFloatArrays#name", qt));
        assertTrue(e.getMessage().contains("java.lang.String"), e.getMessage());
    }

    @Test
    void aSubclassInstanceUsesTheDeclaringClassKey() {
        AgentFieldStore s = store("cache=budget:1m");
        SubWeights m = new SubWeights();
        QuantizedTensor qt = quantizeField(s, m, randomWeights(10, 10));
        assertArrayEquals(qt.dequantize().data(), read(s, m));
    }

    @Test
    void checkModeReportsAnArrayModifiedBeforeEviction() {
        int n = 100;
        AgentFieldStore s = store("cache=budget:" + (Entry.flatBytes(n) + 10) + ",check=true");
        Weights a = new Weights();
        Weights b = new Weights();
        Weights c = new Weights();
        quantizeField(s, a, randomWeights(11, n));
        quantizeField(s, b, randomWeights(12, n));
        quantizeField(s, c, randomWeights(13, n));
        read(s, a)[17] = 42f;
        read(s, b);
        assertEquals(0, stat(s, "modifiedArrays"), "a, read just before b, is pinned: not evicted yet");
        read(s, c);
        assertEquals(1, stat(s, "modifiedArrays"));
        @SuppressWarnings("unchecked")
        String report = ((List<String>) s.status().get("modifiedArrayReports")).getFirst();
        assertTrue(
                report.contains(W) && report.contains("[17]") && report.contains("42.0") && report.contains("evicted"),
                report);

        read(s, a);
        assertEquals(1, stat(s, "modifiedArrays"), "an untouched array evicted again is no report");
    }

    @Test
    void checkModeReportsAModificationLostByAWriteOrANewReadUnderEveryPolicy() {
        for (String cache : List.of("none", "soft", "budget:1m")) {
            AgentFieldStore s = store("cache=" + cache + ",check=true");
            Weights m = quantizedWeights(s, 13, 50);
            float[] handed = read(s, m);
            handed[3] = -5f;
            if (cache.equals("none")) {
                read(s, m);
            } else {
                s.write(m, null, W);
            }
            assertEquals(1, stat(s, "modifiedArrays"), cache);
            @SuppressWarnings("unchecked")
            String report = ((List<String>) s.status().get("modifiedArrayReports")).getFirst();
            assertTrue(report.contains("[3]"), report);
        }
    }

    @Test
    void checkModeIsSilentWhenNothingIsModified() {
        AgentFieldStore s = store("cache=budget:1k,check=true");
        Weights m = quantizedWeights(s, 14, 1000);
        for (int i = 0; i < 5; i++) {
            read(s, m);
        }
        s.write(m, null, W);
        assertEquals(0, stat(s, "modifiedArrays"));
    }

    @Test
    void concurrentReadersOfAMissingFieldShareOneDequantization() throws Exception {
        for (String cache : List.of("soft", "budget:64m", "none")) {
            AgentFieldStore s = store("cache=" + cache);
            Weights m = new Weights();
            int n = 1 << 20;
            QuantizedTensor qt = quantizeField(s, m, randomWeights(15, n));
            float[] expected = qt.dequantize().data();
            int threads = 8;
            CyclicBarrier start = new CyclicBarrier(threads);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<float[]>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    results.add(pool.submit(() -> {
                        start.await();
                        return read(s, m);
                    }));
                }
                float[] first = results.getFirst().get();
                for (Future<float[]> f : results) {
                    float[] got = f.get();
                    // Every element, including the last: no reader may see a partly filled array.
                    assertArrayEquals(expected, got, cache);
                    if (!cache.equals("none")) {
                        assertSame(first, got, cache + ": all readers get the one cached array");
                    }
                }
                assertEquals(cache.equals("none") ? threads : 1, stat(s, "dequantizations"), cache);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void theStoreDoesNotKeepOwnersAlive() throws Exception {
        AgentFieldStore s = store("cache=budget:1m");
        Weights m = quantizedWeights(s, 16, 1000);
        read(s, m);
        WeakReference<Weights> ref = new WeakReference<>(m);
        m = null;
        for (int i = 0; i < 50 && ref.get() != null; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertNull(ref.get(), "the owner was not collected: something in the store holds it strongly");
        for (int i = 0; i < 50 && stat(s, "quantizedFields") > 0; i++) {
            Thread.sleep(10);
        }
        assertEquals(0, stat(s, "quantizedFields"), "the collected owner's quantized data is dropped");
        assertEquals(0, stat(s, "cachedBytes"), "and its cached array released");
    }
}

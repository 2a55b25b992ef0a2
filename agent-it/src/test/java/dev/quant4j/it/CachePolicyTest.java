package dev.quant4j.it;

import static dev.quant4j.testkit.Identity.assertNotSame;
import static dev.quant4j.testkit.Identity.assertSame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.fields.QuantizedFields;
import dev.quant4j.it.model.Vector;
import dev.quant4j.it.support.Status;
import org.junit.jupiter.api.Test;

/** Each surefire execution starts the agent with another policy; this checks that policy's behaviour. */
class CachePolicyTest {
    @Test
    void theAgentRunsWithThePolicyGivenOnTheCommandLine() {
        String cache = Status.text("cache");
        assertTrue(
                cache.startsWith(Status.expectedCache()),
                "expected " + Status.expectedCache() + ", agent has " + cache + " ("
                        + QuantizedFields.status().get("options") + ")");
    }

    @Test
    void repeatedReadsFollowThePolicy() {
        Vector v = Vector.quantized(10_000, 1);
        long before = Status.number("dequantizations");
        float[] first = v.values;
        float[] second = v.values;
        long dequantized = Status.number("dequantizations") - before;
        assertArrayEquals(first, second);
        if (Status.caching()) {
            assertSame(first, second, "a hit hands out the cached array");
            assertEquals(1, dequantized);
        } else {
            assertNotSame(first, second, "cache=none dequantizes on every read");
            assertEquals(2, dequantized);
        }
    }

    @Test
    void aSmallBudgetEvictsTheLeastRecentlyUsedArray() {
        long budget = Status.number("cacheBudgetBytes");
        if (!Status.expectedCache().startsWith("budget:")) {
            // Only the execution with an explicit small budget can overflow it in a test.
            return;
        }
        // Arrays of 100,000 floats take 400,016 bytes: two fit in 1 MiB, three do not.
        assertEquals(1 << 20, budget);
        Vector a = Vector.quantized(100_000, 2);
        Vector b = Vector.quantized(100_000, 3);
        Vector c = Vector.quantized(100_000, 4);
        float[] a1 = a.values;
        float[] b1 = b.values;
        assertSame(a1, a.values, "touch a: b is now the least recently used");
        long evictionsBefore = Status.number("evictions");
        float[] c1 = c.values;
        // At least b; arrays older than b left by earlier tests in this JVM go first.
        assertTrue(Status.number("evictions") - evictionsBefore >= 1);
        assertSame(a1, a.values, "a stayed in the cache");
        assertSame(c1, c.values, "c stayed in the cache");
        assertNotSame(b1, b.values, "b was evicted, so it was dequantized again");
        assertTrue(
                Status.number("cachedBytes") <= budget, QuantizedFields.status().toString());
    }
}

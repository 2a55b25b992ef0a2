package dev.quant4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.it.model.Vector;
import dev.quant4j.it.support.Status;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Arrays returned for quantized fields are read-only views. With check=true the agent reports a write into one
 * when it lets the array go; without it, the write is lost silently when the array leaves the cache.
 */
class CheckModeTest {
    private static boolean checking() {
        return Boolean.parseBoolean(Status.text("check"));
    }

    @Test
    void aModifiedArrayIsReportedWithItsFieldWhenItIsReleased() {
        Vector v = Vector.quantized(1000, 21);
        long before = Status.number("modifiedArrays");
        float[] view = v.values;
        view[123] = 1000f;
        if (Status.expectedCache().equals("none")) {
            float[] fresh = v.values;
            assertNotEquals(1000f, fresh[123], "cache=none: every read is fresh, the write is not seen");
        }
        // A write to the field releases the cached array (with check=true: compared first).
        v.values = null;
        long reported = Status.number("modifiedArrays") - before;
        if (checking()) {
            assertEquals(1, reported);
            List<String> reports = Status.reports();
            String last = reports.getLast();
            assertTrue(last.contains(Vector.KEY) && last.contains("[123]") && last.contains("1000.0"), last);
        } else {
            assertEquals(0, reported, "without check=true nothing is compared");
        }
    }

    @Test
    void evictionOfAModifiedArrayIsReportedInCheckMode() {
        if (!checking() || !Status.expectedCache().startsWith("budget:")) {
            return;
        }
        Vector a = Vector.quantized(100_000, 22);
        Vector b = Vector.quantized(100_000, 23);
        Vector c = Vector.quantized(100_000, 24);
        long before = Status.number("modifiedArrays");
        a.values[0] = -77f;
        // Each read dequantizes into the cache; c's goes over the 1 MiB budget: a, the least recently used, is evicted.
        assertNotNull(b.values);
        assertNotNull(c.values);
        assertEquals(
                1, Status.number("modifiedArrays") - before, Status.reports().toString());
        String report = Status.reports().getLast();
        assertTrue(report.contains(Vector.KEY) && report.contains("evicted") && report.contains("-77.0"), report);
    }

    @Test
    void unmodifiedArraysAreNeverReported() {
        long before = Status.number("modifiedArrays");
        for (int i = 0; i < 4; i++) {
            Vector v = Vector.quantized(50_000, 30 + i);
            v.sum();
            v.sum();
            v.values = null;
        }
        assertEquals(before, Status.number("modifiedArrays"));
    }
}

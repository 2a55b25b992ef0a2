package dev.quant4j.examples.minilm.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;

/** A row's JSON names its stored scheme and its calibration apart, and its bits per weight. */
class DemoReportCalibrationTest {
    @Test
    void schemeAndCalibrationApartAndBitsPerWeight() {
        assertEquals("q4f:block32:f16:u32", DemoReport.storedScheme("q4f:block32:f16:u32:gptq"));
        assertEquals("gptq", DemoReport.calibration("q4f:block32:f16:u32:gptq"));
        assertEquals("mse", DemoReport.calibration("q4f:block32:f16:mse"));
        assertEquals("imatrix", DemoReport.calibration("q4f:block32:f16:imatrix"));
        assertEquals("minmax", DemoReport.calibration("q4f:block32:f16"));
        assertEquals("none", DemoReport.calibration(DemoOptions.F32));
        assertEquals(DemoOptions.ANNOTATED, DemoReport.storedScheme(DemoOptions.ANNOTATED));
        DemoResult r = new DemoResult(
                "q4f:block32:f16:u32:mse",
                DemoMode.HOLDER,
                12_798_624,
                12_798_624 / 90_261_504.0,
                1,
                0.97,
                0.87,
                0.9,
                10,
                10,
                2,
                327,
                1.5,
                "00",
                DemoReport.calibration("q4f:block32:f16:u32:mse"));
        JsonObject o = JsonParser.parseString(DemoReport.json(java.util.List.of(r)))
                .getAsJsonArray()
                .get(0)
                .getAsJsonObject();
        assertEquals(DemoReport.JSON_KEYS, java.util.List.copyOf(o.keySet()));
        assertEquals("q4f:block32:f16:u32", o.get("scheme").getAsString());
        assertEquals("mse", o.get("calibration").getAsString());
        assertEquals(12_798_624 * 8.0 / 22_565_376, o.get("bits_per_weight").getAsDouble(), 1e-12);
        // The child JVM's line keeps the whole text, so agent rows come back with their calibration.
        assertEquals(
                r.scheme(),
                DemoReport.parseInternalLine(DemoReport.internalLine(r)).scheme());
    }

    /** The child JVM's line brings back the whole row, each double with its bits, NaN too. */
    @Test
    void internalLineBringsBackTheWholeRow() {
        DemoResult r = new DemoResult(
                "q4f:block32:f16:u32:mse",
                DemoMode.AGENT,
                12_798_624,
                12_798_624 / 90_261_504.0,
                123_456_789_012L,
                0.1 + 0.2,
                Double.NaN,
                Double.MIN_VALUE,
                Double.POSITIVE_INFINITY,
                1e-300,
                3,
                327,
                0.0,
                "ab01",
                "mse");
        assertEquals(r, DemoReport.parseInternalLine(DemoReport.internalLine(r)));
    }
}

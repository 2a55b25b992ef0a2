package dev.quant4j.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.annotations.QuantValue;
import org.junit.jupiter.api.Test;

/**
 * MiniFloat derives every constant from (exponent bits, mantissa bits, bias, specials); these are the
 * published values of OCP E4M3FN, E5M2 and E2M1, and the annotation vocabulary's copy of the largest
 * finite value must agree with them.
 */
class MiniFloatTest {
    @Test
    void derivedConstantsAreThePublishedOnes() {
        assertConstants(MiniFloat.E4M3, 448f, 0x7E, 0x7F, -1, 8);
        assertConstants(MiniFloat.E5M2, 57344f, 0x7B, 0x7D, 0x7C, 8);
        assertConstants(MiniFloat.E2M1, 6f, 0x7, -1, -1, 4);
    }

    private static void assertConstants(MiniFloat f, float max, int maxCode, int firstNan, int infinity, int bits) {
        MiniFloat.Layout codes = f.layout();
        assertEquals(max, f.largestFinite(), f.name());
        assertEquals(maxCode, codes.maxMagnitudeCode(), f.name());
        assertEquals(firstNan, codes.firstNanMagnitude(), f.name());
        assertEquals(infinity, codes.infinityMagnitude(), f.name());
        assertEquals(bits, f.bits(), f.name());
        assertEquals(1 << (bits - 1), codes.signBit(), f.name());
        assertEquals(max, f.decode(maxCode), f.name());
        if (firstNan >= 0) {
            assertTrue(Float.isNaN(f.decode(firstNan)), f.name());
            assertTrue(Float.isNaN(f.decode(codes.signBit() | firstNan)), f.name());
        }
        if (infinity >= 0) {
            assertEquals(Float.POSITIVE_INFINITY, f.decode(infinity), f.name());
            assertEquals(Float.NEGATIVE_INFINITY, f.decode(codes.signBit() | infinity), f.name());
        }
    }

    @Test
    void theAnnotationValuesAgreeWithTheFormats() {
        for (QuantValue v : QuantValue.values()) {
            if (v.isFloat()) {
                MiniFloat f = MiniFloat.of(v);
                assertEquals(v.largestFinite(), f.largestFinite(), v.name());
                assertEquals(v.bits(), f.bits(), v.name());
            }
        }
    }
}

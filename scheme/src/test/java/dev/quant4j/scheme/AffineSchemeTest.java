package dev.quant4j.scheme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.annotations.QuantMode;
import dev.quant4j.annotations.QuantValue;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The affine mode's text form and the values, params, calibrations and activations that may take it. */
class AffineSchemeTest {
    @Test
    void theTextFormWritesAffineAfterTheStoreAndKeepsItInTheStoredForm() {
        QuantScheme s = QuantScheme.parse("affine:q4f:f16:block32");
        assertEquals(QuantMode.AFFINE, s.mode());
        assertEquals("q4f:block32:f16:u32:affine", s.toString());
        assertEquals("q4f:block32:f16:u32:affine", s.storedForm());
        assertEquals(s, QuantScheme.parse(s.toString()));
        assertEquals(QuantMode.SYMMETRIC, QuantScheme.parse("q4f:block32:f16").mode());
        assertEquals("q4f:block32:f16:u32", QuantScheme.parse("q4f:block32:f16").toString());
        assertTrue(s.isValid());
        for (String ok : List.of("q8f:block32:f32:affine", "q8f:tensor:bf16:native:affine", "q2f:block16:f16:affine")) {
            assertTrue(QuantScheme.parse(ok).isValid(), ok);
        }
        SchemeParseException twice =
                assertThrows(SchemeParseException.class, () -> QuantScheme.parse("q4f:affine:affine"));
        assertTrue(twice.getMessage().contains("it gives the mode twice ('affine' and 'affine')"), twice.getMessage());
    }

    @Test
    void onlyTheFullRangeIntegerValuesTakeIt() {
        for (QuantValue v : QuantValue.values()) {
            List<SchemeProblem> p =
                    QuantScheme.DEFAULT.withValue(v).withMode(QuantMode.AFFINE).problems();
            boolean full = v == QuantValue.Q8F || v == QuantValue.Q4F || v == QuantValue.Q2F;
            assertEquals(full, p.isEmpty(), v + ": " + p);
        }
        SchemeProblem p = QuantScheme.parse("q4s:block32:affine").problems().getFirst();
        assertEquals(SchemeProblem.Rule.AFFINE_NEEDS_FULL_RANGE_VALUE, p.rule());
        assertEquals("mode", p.attribute());
        assertEquals(
                "Affine mode uses all 16 codes of 4 bits (0 to 15), and Q4S is a symmetric value that leaves"
                        + " one out",
                p.message());
        assertEquals("use value = Q4F with mode = AFFINE, or mode = SYMMETRIC", p.annotationFix());
        assertEquals("use q4f instead of q4s with affine, or remove affine", p.textFix());
        SchemeProblem f = QuantScheme.parse("e4m3:affine").problems().getFirst();
        assertEquals(
                "Affine mode is for integer codes, and E4M3 is a float value (mode): use value = Q8F, Q4F or"
                        + " Q2F with mode = AFFINE, or mode = SYMMETRIC",
                f.toString());
    }

    @Test
    void ue8m0AndSearchesAreRefusedWithTheirAttributeAndActivationsAreAllowed() {
        List<SchemeProblem> p =
                QuantScheme.parse("q4f:block32:ue8m0:affine:mse:a8dyn").problems();
        assertEquals(
                List.of(SchemeProblem.Rule.AFFINE_NEEDS_SIGNED_PARAM, SchemeProblem.Rule.AFFINE_NEEDS_MIN_MAX),
                p.stream().map(SchemeProblem::rule).toList());
        assertEquals(
                List.of("param", "calibration"),
                p.stream().map(SchemeProblem::attribute).toList());
        assertEquals(
                "use f16, bf16 or f32 instead of ue8m0 with affine", p.get(0).textFix());
        assertEquals("remove mse, or remove affine", p.get(1).textFix());
        InvalidSchemeException e = assertThrows(
                InvalidSchemeException.class,
                () -> QuantScheme.parse("q4f:ue8m0:affine").validate());
        assertTrue(e.getMessage().contains("UE8M0 holds only positive powers of two"), e.getMessage());
        QuantScheme w4a8 = QuantScheme.parse("q4f:block32:f16:affine:a8dyn");
        assertTrue(w4a8.isValid());
        assertEquals("q4f:block32:f16:u32:affine:a8dyn", w4a8.toString());
        assertTrue(QuantScheme.parse("q8f:block32:affine:a8static:percentile").isValid());
    }
}

package dev.quant4j.scheme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The rank rule answered from the rank alone, and each problem's fix in both forms. */
class SchemeProblemsTest {
    /** The first problem of the scheme {@code text}, once its rule and the attribute it names are checked. */
    private static SchemeProblem firstProblem(String text, SchemeProblem.Rule rule, String attribute) {
        SchemeProblem p = QuantScheme.parse(text).problems().getFirst();
        assertEquals(rule, p.rule(), text);
        assertEquals(attribute, p.attribute(), text);
        return p;
    }

    @Test
    void theRankRuleIsTheSameWithAndWithoutTheShape() {
        QuantScheme s = QuantScheme.parse("q8s:block2x16");
        List<SchemeProblem> byRank = s.problemsForRank(1);
        List<SchemeProblem> byShape = s.problemsFor(new int[] {768});
        assertEquals(1, byRank.size());
        assertEquals(
                SchemeProblem.Rule.BLOCK_RANK_ABOVE_TENSOR_RANK,
                byRank.getFirst().rule());
        assertEquals(
                "Block block2x16 has 2 extents but the tensor has only 1 dimensions",
                byRank.getFirst().message());
        assertEquals(
                "Block block2x16 has 2 extents but the tensor has only 1 dimensions [768]",
                byShape.getFirst().message());
        assertEquals(byRank.getFirst().annotationFix(), byShape.getFirst().annotationFix());
        assertTrue(s.problemsForRank(2).isEmpty());
        assertTrue(QuantScheme.parse("q8s").problemsForRank(0).isEmpty(), "the tensor level fits any rank");
    }

    @Test
    void theSchemesOwnProblemsComeFirst() {
        QuantScheme s = QuantScheme.parse("q4f:block2x2x16:native");
        List<SchemeProblem.Rule> rules =
                s.problemsForRank(2).stream().map(SchemeProblem::rule).toList();
        assertEquals(
                List.of(SchemeProblem.Rule.SUB_BYTE_NATIVE, SchemeProblem.Rule.BLOCK_RANK_ABOVE_TENSOR_RANK), rules);
    }

    @Test
    void aFixIsWrittenInAnnotationAndInTextForm() {
        SchemeProblem p = firstProblem("q4f:native", SchemeProblem.Rule.SUB_BYTE_NATIVE, "store");
        assertEquals("use store = U32 to pack 8 codes per 32-bit word", p.annotationFix());
        assertEquals("write u32 instead of native to pack 8 codes per 32-bit word", p.textFix());
        assertEquals(
                "Native storage is not supported for sub-byte quantization values (Q4F has 4 bits) (store): use"
                        + " store = U32 to pack 8 codes per 32-bit word",
                p.toString());
        assertEquals(
                "Native storage is not supported for sub-byte quantization values (Q4F has 4 bits) (store): write"
                        + " u32 instead of native to pack 8 codes per 32-bit word",
                p.toTextString());

        SchemeProblem zero = QuantScheme.DEFAULT.withBlockSize(4, 0).problems().getFirst();
        assertEquals("use positive block extents, e.g. blockSize = 32", zero.annotationFix());
        assertEquals("use positive block extents, e.g. block32", zero.textFix());
        SchemeProblem none = QuantScheme.DEFAULT.withBlockSize().problems().getFirst();
        assertEquals("give blockSize one to 5 extents, e.g. blockSize = 32", none.annotationFix());
        assertEquals("give the block one to 5 extents, e.g. block32", none.textFix());
    }

    @Test
    void aWeightCalibrationSearchNeedsAnIntegerValueAndMinMaxIsNotWritten() {
        SchemeProblem p =
                firstProblem("e4m3:block32:imatrix", SchemeProblem.Rule.SEARCH_NEEDS_INTEGER_VALUE, "calibration");
        assertEquals("Calibration IMATRIX searches integer codes; E4M3 is a float value", p.message());
        assertEquals(
                "use an integer value (q8f q8s q4f q4s q2f q2s) with IMATRIX, or calibration = MIN_MAX",
                p.annotationFix());
        assertEquals("use an integer value (q8f q8s q4f q4s q2f q2s) with imatrix, or remove imatrix", p.textFix());
        assertEquals(
                "q4f:block32:f16:u32:mse:a8dyn",
                QuantScheme.parse("a8dyn:mse:q4f:f16:block32").toString());
        assertEquals(
                "q4f:block32:f16:u32:a8dyn",
                QuantScheme.parse("a8dyn:mse:q4f:f16:block32").storedForm());
        assertEquals("q4f:block32:f16:u32", QuantScheme.parse("q4f:block32:f16").toString());
    }

    @Test
    void everyRuleCanBeBroken() {
        java.util.Set<SchemeProblem.Rule> seen = java.util.EnumSet.noneOf(SchemeProblem.Rule.class);
        for (QuantScheme s : List.of(
                QuantScheme.parse("q2s:native"),
                QuantScheme.DEFAULT.withBlockSize(),
                QuantScheme.DEFAULT.withBlockSize(2, 2, 2, 2, 2, 2),
                QuantScheme.DEFAULT.withBlockSize(-1),
                QuantScheme.parse("q8s:block4x4"),
                QuantScheme.parse("q8s:a8static"),
                QuantScheme.parse("q8s:entropy"),
                QuantScheme.parse("e4m3:a8dyn"),
                QuantScheme.parse("e2m1:mse"),
                QuantScheme.parse("q4s:affine:ue8m0:mse:a8dyn"))) {
            s.problemsForRank(1).forEach(p -> seen.add(p.rule()));
        }
        assertEquals(java.util.EnumSet.allOf(SchemeProblem.Rule.class), seen);
    }
}

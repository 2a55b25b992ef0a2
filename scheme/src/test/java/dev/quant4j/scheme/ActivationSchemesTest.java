package dev.quant4j.scheme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.annotations.ActivationCalibration;
import dev.quant4j.annotations.ActivationMode;
import dev.quant4j.annotations.Calibration;
import dev.quant4j.annotations.QuantMode;
import dev.quant4j.annotations.QuantStore;
import dev.quant4j.annotations.QuantValue;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The activation vocabulary: its text form, and its rules in the one validation routine. */
class ActivationSchemesTest {
    /**
     * The words themselves, which files and command lines carry (null: the default, not written). A round trip
     * through {@code toString} and {@code parse} would not see a word change on both sides.
     */
    @Test
    void theWordsOfTheTextFormAreFixed() {
        assertEquals(
                Arrays.asList(null, "minmax", "movingminmax", "percentile", "entropy"),
                words(ActivationCalibration.values(), QuantScheme::token));
        assertEquals(Arrays.asList(null, "a8dyn", "a8static"), words(ActivationMode.values(), QuantScheme::token));
        assertEquals(Arrays.asList(null, "mse", "imatrix", "gptq"), words(Calibration.values(), QuantScheme::token));
        assertEquals(Arrays.asList(null, "affine"), words(QuantMode.values(), QuantScheme::token));
        assertEquals(List.of("native", "u32"), words(QuantStore.values(), QuantScheme::token));
    }

    private static <E> List<String> words(E[] values, Function<E, String> token) {
        return Arrays.stream(values).map(token).toList();
    }

    @Test
    void theTextFormWritesActivationsOnlyWhereSet() {
        assertEquals("q8s:tensor:f32:u32", QuantScheme.DEFAULT.toString());
        QuantScheme dyn = QuantScheme.DEFAULT.withActivations(ActivationMode.DYNAMIC);
        assertEquals("q8s:tensor:f32:u32:a8dyn", dyn.toString());
        QuantScheme stat = QuantScheme.parse("q4f:block32:f16:a8static:percentile");
        assertEquals(ActivationMode.STATIC, stat.activations());
        assertEquals(ActivationCalibration.PERCENTILE, stat.activationCalibration());
        assertEquals("q4f:block32:f16:u32:a8static:percentile", stat.toString());
        assertEquals(stat, QuantScheme.parse(stat.toString()));
        assertEquals(stat, QuantScheme.parse("PERCENTILE:a8static:q4f:f16:block1x32"), "any order, any case");
        assertNotEquals(QuantScheme.DEFAULT, dyn);
        assertNotEquals(QuantScheme.DEFAULT.hashCode(), dyn.hashCode());
        for (ActivationMode a : ActivationMode.values()) {
            for (ActivationCalibration c : ActivationCalibration.values()) {
                QuantScheme s = QuantScheme.DEFAULT
                        .withValue(QuantValue.Q4S)
                        .withActivations(a)
                        .withActivationCalibration(c);
                assertEquals(s, QuantScheme.parse(s.toString()), s.toString());
            }
        }
    }

    @Test
    void aSecondActivationPartIsAnError() {
        SchemeParseException twice =
                assertThrows(SchemeParseException.class, () -> QuantScheme.parse("q8s:a8dyn:a8static"));
        assertEquals(
                "cannot read scheme 'q8s:a8dyn:a8static': it gives the activations twice ('a8dyn' and"
                        + " 'a8static'); keep one activations",
                twice.getMessage());
        SchemeParseException calib =
                assertThrows(SchemeParseException.class, () -> QuantScheme.parse("q8s:a8static:minmax:entropy"));
        assertTrue(
                calib.getMessage().contains("gives the activation calibration twice ('minmax' and 'entropy')"),
                calib.getMessage());
        SchemeParseException unknown = assertThrows(SchemeParseException.class, () -> QuantScheme.parse("q8s:a4dyn"));
        assertTrue(
                unknown.getMessage()
                        .contains("activations (a8dyn a8static) or an activation calibration (minmax"
                                + " movingminmax percentile entropy)"),
                unknown.getMessage());
    }

    @Test
    void staticNeedsACalibrationMethod() {
        SchemeProblem p = only(QuantScheme.parse("q8s:a8static").problems());
        assertEquals(SchemeProblem.Rule.STATIC_WITHOUT_CALIBRATION, p.rule());
        assertEquals("activations", p.attribute());
        assertWords(
                p,
                "Static activation quantization needs a calibration method to find its frozen scales",
                "set activationCalibration = MIN_MAX, MOVING_AVERAGE_MIN_MAX, PERCENTILE or ENTROPY",
                "add minmax, movingminmax, percentile or entropy");
        for (ActivationCalibration c : ActivationCalibration.values()) {
            boolean valid = QuantScheme.parse("q8s:a8static")
                    .withActivationCalibration(c)
                    .isValid();
            assertEquals(c != ActivationCalibration.NONE, valid, c.toString());
        }
    }

    @Test
    void aCalibrationMethodNeedsStaticMode() {
        for (String text : List.of("q8s:minmax", "q8s:a8dyn:entropy")) {
            SchemeProblem p = only(QuantScheme.parse(text).problems());
            assertEquals(SchemeProblem.Rule.CALIBRATION_WITHOUT_STATIC, p.rule(), text);
            assertEquals("activationCalibration", p.attribute());
        }
        SchemeProblem p = only(QuantScheme.parse("q8s:a8dyn:entropy").problems());
        assertWords(
                p,
                "Activation calibration ENTROPY is only used by static activation quantization, and the"
                        + " activations are DYNAMIC",
                "set activations = STATIC, or remove activationCalibration",
                "add a8static, or remove entropy");
    }

    @Test
    void quantizedActivationsNeedIntegerWeights() {
        for (QuantValue v : QuantValue.values()) {
            for (String act : List.of("a8dyn", "a8static:minmax")) {
                QuantScheme s = QuantScheme.parse(v.token() + ":" + act);
                List<SchemeProblem> problems = s.problems();
                if (v.isFloat()) {
                    SchemeProblem p = only(problems);
                    assertEquals(SchemeProblem.Rule.ACTIVATIONS_NEED_INTEGER_WEIGHTS, p.rule(), s.toString());
                    assertEquals("activations", p.attribute());
                } else {
                    assertTrue(problems.isEmpty(), s + ": " + problems);
                }
            }
            assertTrue(QuantScheme.parse(v.token()).problems().isEmpty(), "float32 activations go with any value");
        }
        SchemeProblem p = only(QuantScheme.parse("e4m3:block32:a8dyn").problems());
        assertWords(
                p,
                "DYNAMIC activation quantization multiplies int8 activations by integer weight codes, and E4M3"
                        + " is a float value",
                "use an integer value (Q8S, Q8F, Q4S, Q4F, Q2S, Q2F), or activations = NONE",
                "use an integer value (q8s q8f q4s q4f q2s q2f), or remove a8dyn");
    }

    @Test
    void quantizedActivationsNeedAWeightMatrix() {
        QuantScheme s = QuantScheme.parse("q8s:a8dyn");
        assertTrue(s.problemsForRank(2).isEmpty());
        assertTrue(s.problemsFor(new int[] {384, 1536}).isEmpty());
        SchemeProblem vector = only(s.problemsFor(new int[] {384}));
        assertEquals(SchemeProblem.Rule.ACTIVATIONS_NEED_MATRIX, vector.rule());
        assertWords(
                vector,
                "DYNAMIC activation quantization is for the [out, in] weight matrix of a linear layer, and the"
                        + " tensor has 1 dimension [384]",
                "leave this field's activations at NONE",
                "remove a8dyn for this tensor");
        assertEquals(
                "DYNAMIC activation quantization is for the [out, in] weight matrix of a linear layer, and the"
                        + " tensor has 3 dimensions",
                only(s.problemsForRank(3)).message());
        assertTrue(QuantScheme.DEFAULT.problemsForRank(1).isEmpty(), "float32 activations fit any tensor");
    }

    /** A problem's message and its fix in both forms, exactly. */
    private static void assertWords(SchemeProblem p, String message, String annotationFix, String textFix) {
        assertEquals(message, p.message());
        assertEquals(annotationFix, p.annotationFix());
        assertEquals(textFix, p.textFix());
    }

    private static SchemeProblem only(List<SchemeProblem> problems) {
        assertEquals(1, problems.size(), problems.toString());
        return problems.getFirst();
    }
}

package dev.quant4j.scheme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class VisitorNamesTest {
    @Test
    void nestedNamesJoinOutermostFirstThenTheSuffix() {
        assertEquals("Mlp_Quantization", VisitorNames.simpleName(List.of("Mlp")));
        assertEquals("Outer_Inner_Quantization", VisitorNames.simpleName(List.of("Outer", "Inner")));
        assertEquals(
                "demo.nn.Outer_Inner_Quantization", VisitorNames.qualifiedName("demo.nn", List.of("Outer", "Inner")));
        assertEquals("Top_Quantization", VisitorNames.qualifiedName("", List.of("Top")));
    }

    @Test
    void aVisitorNameIsRecognised() {
        assertTrue(VisitorNames.isVisitorName("Layer_Quantization"));
        assertFalse(VisitorNames.isVisitorName("Quantization"));
        assertFalse(VisitorNames.isVisitorName("Layer"));
    }

    @Test
    void aModelHasAName() {
        assertThrows(IllegalArgumentException.class, () -> VisitorNames.simpleName(List.of()));
    }
}

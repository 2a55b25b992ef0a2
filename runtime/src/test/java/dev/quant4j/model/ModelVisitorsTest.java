package dev.quant4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelVisitorsTest {
    static class Outer {
        static class Inner {}
    }

    /** A subclass nobody generated a visitor for: its superclass's visitor walks it. */
    static class BiggerModel extends TinyModel {
        BiggerModel() {
            super(1, 1, 0);
        }
    }

    @Test
    void generatedNamesJoinNestedClassNamesWithUnderscores() {
        assertEquals("dev.quant4j.model.TinyModel_Quantization", ModelVisitors.visitorClassName(TinyModel.class));
        assertEquals(
                "dev.quant4j.model.ModelVisitorsTest_Outer_Inner_Quantization",
                ModelVisitors.visitorClassName(Outer.Inner.class));
    }

    @Test
    void findsTheVisitorByLoadingItsClassWhichRegistersItself() {
        ModelVisitor<?> v = ModelVisitors.find(TinyBlock.class);
        assertSame(TinyBlock.class, v.modelType());
        assertSame(TinyBlock_Quantization.class, v.getClass());
        assertSame(v, ModelVisitors.findExact(TinyBlock.class));
    }

    @Test
    void aSubclassWithoutItsOwnVisitorUsesItsSuperclasses() {
        assertNull(ModelVisitors.findExact(BiggerModel.class));
        assertSame(TinyModel.class, ModelVisitors.find(BiggerModel.class).modelType());
        BiggerModel m = new BiggerModel();
        m.bias = new float[] {1};
        List<String> paths = new ArrayList<>();
        Quantization.visit(m, f -> paths.add(f.path()));
        assertEquals(List.of("w", "m", "h", "bias", "extra[0].wq"), paths);
    }

    @Test
    void aClassWithoutVisitorGetsAnErrorWithTheFix() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Quantization.quantizeWeights(new Outer.Inner()));
        assertTrue(
                e.getMessage()
                        .startsWith("no quant4j visitor for dev.quant4j.model.ModelVisitorsTest$Outer$Inner"
                                + " (looked for dev.quant4j.model.ModelVisitorsTest_Outer_Inner_Quantization"),
                e.getMessage());
        assertTrue(e.getMessage().contains("annotationProcessorPaths"), e.getMessage());
    }

    @Test
    void aVisitorForAnotherClassIsRefused() {
        ModelVisitor<TinyBlock> v = new TinyBlock_Quantization();
        @SuppressWarnings({"unchecked", "rawtypes"})
        ModelVisitor<Outer> wrong = (ModelVisitor) v;
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ModelVisitors.register(Outer.class, wrong));
        assertTrue(e.getMessage().contains("walks dev.quant4j.model.TinyBlock, not "), e.getMessage());
    }
}

package dev.quant4j.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.fields.QuantizedFields;
import dev.quant4j.it.model.CopyableLayer;
import dev.quant4j.it.model.CustomSerializedLayer;
import dev.quant4j.it.model.DerivedLayer;
import dev.quant4j.it.model.FieldQuantizer;
import dev.quant4j.it.support.UnrewrittenAccessMain;
import dev.quant4j.tensor.QuantizedTensor;
import dev.quant4j.testkit.ChildJvm;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The paths that copy an object without its rewritten field reads: {@code Object.clone()} and Java serialization
 * must carry the quantized weights; reflection, MethodHandles and VarHandles read the raw null, which the agent says
 * once at run time (and docs/AGENT.md says under "Limits").
 */
class CopyPathsTest {
    private static CopyableLayer quantizedLayer(long seed) {
        CopyableLayer layer = new CopyableLayer(500, seed);
        FieldQuantizer.quantize(layer, CopyableLayer.KEY, layer.weights, l -> l.weights = null);
        return layer;
    }

    @Test
    void aCloneCarriesTheQuantizedWeightsAndIsIndependentOfItsOriginal() {
        CopyableLayer original = quantizedLayer(41);
        float[] weights = original.weights;
        CopyableLayer copy = original.clone();
        assertArrayEquals(weights, copy.weights, "the clone reads the original's weights");
        QuantizedTensor q = QuantizedFields.quantized(copy, CopyableLayer.KEY);
        assertNotNull(q, "and keeps them quantized");
        assertTrue(
                q == QuantizedFields.quantized(original, CopyableLayer.KEY), "the packed data is shared, not copied");

        copy.weights = new float[] {1, 2};
        assertArrayEquals(weights, original.weights, "writing the clone's field leaves the original alone");
        assertNotNull(QuantizedFields.quantized(original, CopyableLayer.KEY));
    }

    @Test
    void aCloneMadeByABaseClassWithoutFloatArraysCarriesTheSubclassWeights() {
        DerivedLayer original = new DerivedLayer(300, 42);
        FieldQuantizer.quantize(original, DerivedLayer.KEY, original.weights, l -> l.weights = null);
        DerivedLayer copy = (DerivedLayer) original.clone();
        assertArrayEquals(original.weights, copy.weights);
        assertNotNull(copy.weights);
    }

    @Test
    void serializationWritesTheWeightsAndReadsThemBackAsAPlainArray() throws Exception {
        CopyableLayer original = quantizedLayer(43);
        float[] weights = original.weights;
        CopyableLayer back = (CopyableLayer) roundTrip(original);
        assertArrayEquals(weights, back.weights, "the stream holds the dequantized weights");
        assertNull(QuantizedFields.quantized(back, CopyableLayer.KEY), "read back as plain floats: quantize again");
        assertEquals(500, back.size);
        assertEquals("layer-43", back.name);
        assertNull(back.scratch, "transient stays transient");
        assertNotNull(QuantizedFields.quantized(original, CopyableLayer.KEY), "the original is still quantized");
    }

    @Test
    void aClassWithItsOwnWriteObjectGetsItsDefaultWriteObjectCarriedOver() throws Exception {
        CustomSerializedLayer original = new CustomSerializedLayer(200, 44);
        original.extra = 7;
        FieldQuantizer.quantize(original, CustomSerializedLayer.KEY, original.weights, l -> l.weights = null);
        CustomSerializedLayer back = (CustomSerializedLayer) roundTrip(original);
        assertArrayEquals(original.weights, back.weights);
        assertNotNull(back.weights);
        assertEquals(7, back.extra, "its own data after defaultWriteObject");
    }

    @Test
    void reflectionMethodHandlesAndVarHandlesSeeNullAndTheAgentSaysSoOnce() throws Exception {
        ChildJvm.Result r = ChildJvm.run(
                List.of("--add-modules", "jdk.incubator.vector", "-javaagent:" + ChildJvm.agentJar()),
                UnrewrittenAccessMain.class);
        assertEquals(0, r.exitCode(), r.describe());
        assertTrue(
                r.stdout().contains("field.get=null")
                        && r.stdout().contains("methodHandle=null")
                        && r.stdout().contains("varHandle=null"),
                "the documented limit: " + r.describe());
        assertTrue(r.stdout().contains("quantizedFields.read=500"), r.describe());
        List<String> warnings = r.stderr()
                .lines()
                .filter(l -> l.contains("holds null while it is quantized"))
                .toList();
        assertEquals(1, warnings.size(), "said once for three quantized fields: " + r.describe());
        assertTrue(
                warnings.getFirst().contains("Field.get")
                        && warnings.getFirst().contains("VarHandles")
                        && warnings.getFirst().contains("QuantizedFields.read"),
                warnings.getFirst());
    }

    private static Object roundTrip(Object o) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return in.readObject();
        }
    }
}

package dev.quant4j.processor.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.quant4j.kernels.Kernels;
import dev.quant4j.model.ModelFiles;
import dev.quant4j.model.QuantizableTensor;
import dev.quant4j.model.Quantization;
import dev.quant4j.model.WeightField;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Activation quantization as declared on {@link Projection}, compiled by the processor: the visitor gives
 * each field its scheme with the activation parts, quantizing the weights is not changed by them, and
 * they survive a save and load.
 */
class ActivationDeclarationTest {
    private static final int OUT = 8;
    private static final int IN = 64;

    private static Projection model() {
        SplittableRandom r = new SplittableRandom(11);
        Projection p = new Projection();
        p.up = QuantizableTensor.of(values(r), OUT, IN);
        p.down = QuantizableTensor.of(values(r), OUT, IN);
        p.plain = QuantizableTensor.of(values(r), OUT, IN);
        return p;
    }

    private static float[] values(SplittableRandom r) {
        float[] a = new float[OUT * IN];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    @Test
    void theVisitorCarriesTheActivationParts() {
        List<QuantScheme> schemes =
                Quantization.fields(model()).stream().map(WeightField::scheme).toList();
        assertEquals(
                List.of(
                        QuantScheme.parse("q4f:block32:f16:u32:a8dyn"),
                        QuantScheme.parse("q8s:a8static:percentile"),
                        QuantScheme.parse("q4f:block32:f16:u32")),
                schemes);
    }

    @Test
    void theWeightsAreQuantizedAsWithoutActivationsAndTheSchemeSurvivesAFile() throws IOException {
        Projection m = model();
        FloatTensor up = m.up.floats();
        FloatTensor plain = m.plain.floats();
        Quantization.quantizeWeights(m);
        QuantizedTensor withActivations = m.up.quantized();
        QuantizedTensor weightsOnly = Kernels.scalar().quantize("up", up, QuantScheme.parse("q4f:block32:f16"));
        assertEquals("q4f:block32:f16:u32:a8dyn", withActivations.scheme().toString());
        assertArrayEquals(weightsOnly.codes(), withActivations.codes());
        assertArrayEquals(weightsOnly.scales(), withActivations.scales());
        assertEquals(
                Kernels.scalar()
                        .quantize("plain", plain, QuantScheme.parse("q4f:block32:f16"))
                        .dequantize(),
                m.plain.quantized().dequantize());

        Path file = Files.createTempDirectory("quant4j-activations").resolve("projection.safetensors");
        ModelFiles.save(m, file);
        Projection loaded = new Projection();
        ModelFiles.load(loaded, file);
        Files.delete(file);
        assertEquals(
                QuantScheme.parse("q8s:a8static:percentile"),
                loaded.down.quantized().scheme());
        assertEquals(withActivations.scheme(), loaded.up.quantized().scheme());
        assertArrayEquals(withActivations.codes(), loaded.up.quantized().codes());
    }
}

package dev.quant4j.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.kernels.Kernels;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import org.junit.jupiter.api.Test;

/** Fake quantization with affine schemes: the forward is the kernels' pair, and MinMax params clip nothing. */
class AffineFakeQuantizeTest {
    private static final QuantScheme AFFINE = QuantScheme.parse("q4f:block4:f16:affine");

    @Test
    void minMaxAffineParamsKeepEveryElementInside() {
        // Values far from 0: the symmetric rule would call 14 / 1 = 14 clipped for Q4F's [-8, 7].
        float[] x = {-1f, 0f, 0.5f, 14f, 3f, 3f, 3f, 3f};
        FakeQuantized f = FakeQuantize.apply("w", FloatTensor.of(x, 2, 4), AFFINE);
        QuantizedTensor q = Kernels.scalar().quantize("w", FloatTensor.of(x, 2, 4), AFFINE);
        assertArrayEquals(q.dequantize().data(), f.values());
        boolean[] inside = FakeQuantize.insideMask(x, q);
        for (boolean b : inside) {
            assertTrue(b);
        }
        // With another tensor's params, elements below the offset or above the top code are clipped.
        boolean[] other = FakeQuantize.insideMask(new float[] {-3f, 0f, 20f, 5f, 3f, 3f, 3f, 3f}, q);
        assertArrayEquals(new boolean[] {false, true, false, true, true, true, true, true}, other);
    }

    @Test
    void learnedScalesRefuseAffineSchemes() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> LearnedScale.fromMinMax("w", FloatTensor.of(new float[4], 1, 4), AFFINE));
        assertTrue(e.getMessage().contains("a learned scale (LSQ) is for symmetric schemes"), e.getMessage());
    }
}

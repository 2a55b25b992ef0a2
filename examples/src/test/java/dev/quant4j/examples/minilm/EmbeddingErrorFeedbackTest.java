package dev.quant4j.examples.minilm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.kernels.Kernels;
import dev.quant4j.model.Quantization;
import dev.quant4j.model.WeightQuantizer;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The token-type error fed into the position table: against the sum computed directly, on seeded tables. */
class EmbeddingErrorFeedbackTest {

    private static final int HIDDEN = 64;
    private static final QuantScheme SCHEME = QuantScheme.parse("q4f:block32:f16");
    private static final WeightQuantizer BASE = WeightQuantizer.kernels(Kernels.scalar());

    private static FloatTensor table(Random random, int rows, double sd) {
        float[] v = new float[rows * HIDDEN];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (sd * random.nextGaussian());
        }
        return FloatTensor.of(v, rows, HIDDEN);
    }

    private static void assertSameCodes(QuantizedTensor expected, QuantizedTensor actual, String message) {
        assertArrayEquals(expected.codes(), actual.codes(), message);
        assertArrayEquals(expected.scales(), actual.scales(), message);
    }

    private static float[] back(QuantizedTensor q) {
        return q.dequantize().data();
    }

    @Test
    void thePositionTableTakesTheTokenTypeRowsErrorAndTheSumForTypeZeroKeepsOnlyItsOwnRounding() {
        for (int seed = 1; seed <= 20; seed++) {
            Random random = new Random(seed);
            FloatTensor tokenTypes = table(random, 2, 0.05);
            FloatTensor positions = table(random, 16, 0.1);
            WeightQuantizer feedback = EmbeddingErrorFeedback.feedingTokenTypeError(tokenTypes, BASE);

            QuantizedTensor types = feedback.quantize(EmbeddingErrorFeedback.TOKEN_TYPE_PATH, tokenTypes, SCHEME);
            // The token-type table itself is quantized unchanged.
            assertArrayEquals(
                    back(BASE.quantize(EmbeddingErrorFeedback.TOKEN_TYPE_PATH, tokenTypes, SCHEME)), back(types));
            float[] typesBack = back(types);
            float[] shifted = positions.data().clone();
            for (int i = 0; i < shifted.length; i++) {
                shifted[i] += tokenTypes.data()[i % HIDDEN] - typesBack[i % HIDDEN];
            }
            QuantizedTensor fed = feedback.quantize(EmbeddingErrorFeedback.POSITION_PATH, positions, SCHEME);
            QuantizedTensor direct = BASE.quantize(
                    EmbeddingErrorFeedback.POSITION_PATH, FloatTensor.of(shifted, positions.shape()), SCHEME);
            assertSameCodes(direct, fed, "seed " + seed);

            float[] plain = back(BASE.quantize(EmbeddingErrorFeedback.POSITION_PATH, positions, SCHEME));
            float[] fedBack = back(fed);
            double withFeedback = 0;
            double without = 0;
            for (int i = 0; i < shifted.length; i++) {
                double exact =
                        (double) tokenTypes.data()[i % HIDDEN] + positions.data()[i];
                double sum = (double) typesBack[i % HIDDEN] + fedBack[i];
                // What is left is the position table's own rounding of position + d.
                assertEquals(fedBack[i] - shifted[i], sum - exact, 1e-6, "seed " + seed + " at " + i);
                withFeedback += (sum - exact) * (sum - exact);
                double plainSum = (double) typesBack[i % HIDDEN] + plain[i];
                without += (plainSum - exact) * (plainSum - exact);
            }
            assertTrue(
                    withFeedback < without,
                    "seed " + seed + ": squared error of the type-0 sum " + withFeedback + " with feedback, " + without
                            + " without");
        }
    }

    /**
     * In declaration order the token-type quantization made is used; with the positions first, the given table is
     * quantized with the positions' scheme; {@code of(model, ...)} reads the model's float token-type table: the same
     * codes all three ways.
     */
    @Test
    void thePositionCodesAreTheSameWhicheverWayTheTokenTypeErrorArrives() {
        MiniLmConfig config = new MiniLmConfig(12, 8, 2, HIDDEN, 1, 64, 1);
        Random random = new Random(7);
        FloatTensor tokenTypes = table(random, 2, 0.05);
        FloatTensor positions = table(random, 8, 0.1);
        WeightQuantizer inOrder = EmbeddingErrorFeedback.feedingTokenTypeError(tokenTypes, BASE);
        inOrder.quantize(EmbeddingErrorFeedback.TOKEN_TYPE_PATH, tokenTypes, SCHEME);
        QuantizedTensor expected = inOrder.quantize(EmbeddingErrorFeedback.POSITION_PATH, positions, SCHEME);
        HolderMiniLmModel model = new HolderMiniLmModel(config);
        Quantization.importState(model, Map.of(EmbeddingErrorFeedback.TOKEN_TYPE_PATH, tokenTypes));
        for (WeightQuantizer positionsFirst : List.of(
                EmbeddingErrorFeedback.feedingTokenTypeError(tokenTypes, BASE),
                EmbeddingErrorFeedback.of(model, BASE))) {
            assertSameCodes(
                    expected, positionsFirst.quantize(EmbeddingErrorFeedback.POSITION_PATH, positions, SCHEME), "");
        }
    }

    @Test
    void everyOtherFieldGoesToTheWrappedQuantizerUntouched() {
        Random random = new Random(8);
        FloatTensor words = table(random, 12, 0.1);
        WeightQuantizer feedback = EmbeddingErrorFeedback.feedingTokenTypeError(table(random, 2, 0.05), BASE);
        for (String path : new String[] {"embeddings.wordEmbeddings", "layers[0].queryWeight"}) {
            QuantizedTensor q = feedback.quantize(path, words, SCHEME);
            QuantizedTensor direct = BASE.quantize(path, words, SCHEME);
            assertSameCodes(direct, q, path);
        }
    }

    @Test
    void aPositionTableOfAnotherWidthIsRejectedByName() {
        Random random = new Random(10);
        WeightQuantizer feedback = EmbeddingErrorFeedback.feedingTokenTypeError(table(random, 2, 0.05), BASE);
        FloatTensor narrow = FloatTensor.of(new float[8 * 32], 8, 32);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> feedback.quantize(EmbeddingErrorFeedback.POSITION_PATH, narrow, SCHEME));
        assertTrue(e.getMessage().startsWith(EmbeddingErrorFeedback.POSITION_PATH), e.getMessage());
    }
}

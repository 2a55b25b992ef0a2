package dev.quant4j.examples.minilm;

import dev.quant4j.model.WeightQuantizer;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * GPTQ's idea applied to BERT's input embeddings: an error made in one quantized part is fed into a part not yet
 * quantized, where the rounding can take it back. The embedding LayerNorm reads {@code word[w] + tokenType[t] +
 * position[p]}, and a sentence encoder only ever uses token type 0, so the error of that one row,
 * {@code d = tokenType[0] - dequantize(quantize(tokenType))[0]}, is added to every token of every sentence alike: a
 * constant shift of the LayerNorm's input that no rounding elsewhere averages away. (Measured on the demo's MiniLM,
 * quantizing the 768 token-type weights alone at 4 bits moves the output more than any single linear layer.)
 *
 * <p>This quantizer quantizes the position table as {@code position[p] + d} for every row {@code p}, so the sum
 * for type 0 is {@code word_q + tokenType_q[0] + (position[p] + d)_q ~ word_q + tokenType[0] + position[p]}: only
 * the position table's own rounding error is left. The token-type table itself is quantized unchanged; type 1 (a
 * second segment, which sentence embeddings never use) carries {@code d} instead. Every other field goes to the
 * wrapped quantizer untouched. The output is the same scheme and format as always, better-chosen codes only.
 */
public final class EmbeddingErrorFeedback {

    static final String TOKEN_TYPE_PATH = "embeddings.tokenTypeEmbeddings";
    static final String POSITION_PATH = "embeddings.positionEmbeddings";

    private EmbeddingErrorFeedback() {}

    /**
     * {@code tables}, with the token-type error of {@code model} fed into its position table. Call it before the
     * model is quantized: it reads the float32 token-type table now, and quantizes it with {@code tables} as the
     * model's own quantization will, for the case that the position table is quantized first.
     */
    public static WeightQuantizer of(EncoderModel model, WeightQuantizer tables) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(tables, "tables");
        EmbeddingWeights e = model.embeddings;
        int[] types = new int[e.typeVocabSize];
        for (int t = 0; t < types.length; t++) {
            types[t] = t;
        }
        FloatTensor tokenTypes = FloatTensor.of(e.rows(EmbeddingTable.TOKEN_TYPE, types), types.length, e.hidden);
        return feedingTokenTypeError(tokenTypes, tables);
    }

    /**
     * {@code tables} with the error of the token-type table's row 0 added to every row of the position table before
     * it is quantized. The error is the one of the token-type quantization this quantizer made, when the token-type
     * path came first (the generated visitors walk the fields in declaration order, token types before positions);
     * otherwise it is that of {@code tokenTypes} quantized by {@code tables} with the position table's scheme.
     */
    static WeightQuantizer feedingTokenTypeError(FloatTensor tokenTypes, WeightQuantizer tables) {
        if (tokenTypes.rank() != 2 || tokenTypes.shape()[0] < 1) {
            throw new IllegalArgumentException(
                    "the token-type table must be [types, hidden] with at least one type, is " + tokenTypes);
        }
        int hidden = tokenTypes.shape()[1];
        AtomicReference<float[]> madeError = new AtomicReference<>();
        return (path, weights, declared) -> {
            if (path.equals(TOKEN_TYPE_PATH)) {
                QuantizedTensor q = tables.quantize(path, weights, declared);
                if (weights.rank() == 2 && weights.shape()[1] == hidden) {
                    madeError.set(rowZeroError(weights, q));
                }
                return q;
            }
            if (!path.equals(POSITION_PATH)) {
                return tables.quantize(path, weights, declared);
            }
            if (weights.rank() != 2 || weights.shape()[1] != hidden) {
                throw new IllegalArgumentException(
                        path + " must be [positions, " + hidden + "] to take the" + " token-type error, is " + weights);
            }
            float[] error = madeError.get();
            if (error == null) {
                error = rowZeroError(tokenTypes, tables.quantize(TOKEN_TYPE_PATH, tokenTypes, declared));
            }
            float[] shifted = weights.data().clone();
            for (int i = 0; i < shifted.length; i++) {
                shifted[i] += error[i % hidden];
            }
            return tables.quantize(path, FloatTensor.of(shifted, weights.shape()), declared);
        };
    }

    /** {@code tokenTypes[0] - quantized[0]}, dequantized: what the quantization lost in row 0. */
    private static float[] rowZeroError(FloatTensor tokenTypes, QuantizedTensor quantized) {
        int hidden = tokenTypes.shape()[1];
        float[] back = quantized.dequantize().data();
        float[] error = new float[hidden];
        for (int j = 0; j < hidden; j++) {
            error[j] = tokenTypes.data()[j] - back[j];
        }
        return error;
    }
}

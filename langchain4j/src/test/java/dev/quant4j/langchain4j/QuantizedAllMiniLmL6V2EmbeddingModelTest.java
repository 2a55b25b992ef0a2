package dev.quant4j.langchain4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.output.Response;
import dev.quant4j.examples.minilm.HolderMiniLmModel;
import dev.quant4j.examples.minilm.MiniLm;
import dev.quant4j.examples.minilm.onnx.MiniLmLoader;
import dev.quant4j.model.Quantization;
import dev.quant4j.model.WeightQuantizer;
import dev.quant4j.quantize.Quantizer;
import dev.quant4j.scheme.QuantScheme;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The model through LangChain4j's own API: embed, embedAll, dimension; against our encoder and theirs. */
class QuantizedAllMiniLmL6V2EmbeddingModelTest {
    private static final List<String> TEXTS = List.of(
            "The cat sat on the warm windowsill all afternoon.",
            "Interest rates rose again, and mortgage applications fell.",
            "How do I reset my password if I no longer have the old email?",
            "A quick brown fox jumps over the lazy dog.");

    private static EmbeddingModel model;

    @BeforeAll
    static void build() {
        model = new QuantizedAllMiniLmL6V2EmbeddingModel(); // the one line a LangChain4j user changes
    }

    @Test
    void dimensionIs384() {
        assertEquals(384, model.dimension());
    }

    @Test
    void embedAllGivesOurEncodersVectorsInOrderWithTheTokenCount() throws Exception {
        HolderMiniLmModel encoder = MiniLmLoader.holderModel(MiniLmLoader.weightsFromClasspath());
        Quantization.quantizeWeights(
                encoder,
                WeightQuantizer.uniform(
                        new Quantizer(QuantScheme.parse(QuantizedAllMiniLmL6V2EmbeddingModel.DEFAULT_SCHEME))));
        MiniLm ours = new MiniLm(MiniLmLoader.tokenizerFromClasspath(), encoder);

        Response<List<Embedding>> all =
                model.embedAll(TEXTS.stream().map(TextSegment::from).toList());
        assertEquals(TEXTS.size(), all.content().size());
        int tokens = 0;
        for (int i = 0; i < TEXTS.size(); i++) {
            assertArrayEquals(ours.embed(TEXTS.get(i)), all.content().get(i).vector(), TEXTS.get(i));
            assertArrayEquals(
                    all.content().get(i).vector(),
                    model.embed(TEXTS.get(i)).content().vector());
            assertArrayEquals(
                    all.content().get(i).vector(),
                    model.embed(TextSegment.from(TEXTS.get(i))).content().vector());
            tokens += ours.tokenizer().encode(TEXTS.get(i)).length;
        }
        assertEquals(tokens, all.tokenUsage().inputTokenCount());
    }

    @Test
    void closeToLangChain4jsOwnFloat32Model() {
        EmbeddingModel theirs = new AllMiniLmL6V2EmbeddingModel();
        for (String text : TEXTS) {
            float[] a = model.embed(text).content().vector();
            float[] b = theirs.embed(text).content().vector();
            double dot = 0;
            double na = 0;
            double nb = 0;
            for (int i = 0; i < a.length; i++) {
                dot += a[i] * b[i];
                na += a[i] * a[i];
                nb += b[i] * b[i];
            }
            double cosine = dot / Math.sqrt(na * nb);
            assertTrue(cosine >= 0.999, text + ": cosine " + cosine);
        }
    }

    @Test
    void blankTextAndStaticSchemesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> model.embed("   "));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new QuantizedAllMiniLmL6V2EmbeddingModel("q8s:block32:a8static:minmax"));
        assertTrue(e.getMessage().contains("static activations need calibrated scales"), e.getMessage());
    }
}

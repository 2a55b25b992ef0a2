package dev.quant4j.examples.minilm.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.examples.minilm.onnx.MiniLmLoader;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Rows whose statistics do not come from the calibration sentences: {@code @random} and {@code @layernorm}. */
class DemoOptionsSourceTest {
    @Test
    void sourceSuffixesParseCanonicallyAndNameTheirCalibration() {
        DemoOptions o = DemoOptions.parse(
                new String[] {"--schemes", "q4f:block32:f16:gptq@random,q4f:block32:f16:imatrix@LayerNorm"});
        assertEquals(
                List.of("f32", "q4f:block32:f16:u32:gptq@random", "q4f:block32:f16:u32:imatrix@layernorm"),
                o.schemes());
        assertEquals("gptq@random", DemoReport.calibration("q4f:block32:f16:u32:gptq@random"));
        assertEquals("imatrix@layernorm", DemoReport.calibration("q4f:block32:f16:u32:imatrix@layernorm"));
        assertEquals("q4f:block32:f16:u32", DemoReport.storedScheme("q4f:block32:f16:u32:gptq@random"));
        assertEquals("q4f:block32:f16:u32:gptq", DemoOptions.schemeText("q4f:block32:f16:u32:gptq@random"));
        assertEquals("", DemoOptions.sourceOf("q4f:block32:f16:u32:gptq"));
        assertTrue(ModeRunner.usesStatistics("q4f:block32:f16:u32:gptq"));
        assertTrue(
                !ModeRunner.usesStatistics("q4f:block32:f16:u32:gptq@random"),
                "a @random row records its own statistics, not the calibration sentences'");
    }

    @Test
    void aSourceOnACalibrationWithoutStatisticsIsRefusedNamingTheFix() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> DemoOptions.parse(new String[] {"--schemes", "q4f:block32:f16:mse@random"}));
        assertTrue(e.getMessage().contains("e.g. q4f:block32:f16:imatrix@random"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> DemoOptions.parse(new String[] {"--schemes", "q4f:block32:f16@layernorm"}));
    }

    @Test
    void randomTokenIdsAreFramedLikeASentenceAndRepeatable() throws IOException {
        List<int[]> ids = ModeRunner.randomTokenIds();
        int[] frame = MiniLmLoader.tokenizerFromClasspath().encode("");
        int vocab = MiniLmLoader.tokenizerFromClasspath().vocabSize();
        assertEquals(ModeRunner.RANDOM_SEQUENCES, ids.size());
        for (int[] s : ids) {
            assertTrue(s.length >= 10 && s.length <= 26, "8 to 24 tokens between CLS and SEP: " + s.length);
            assertEquals(frame[0], s[0]);
            assertEquals(frame[frame.length - 1], s[s.length - 1]);
            for (int t = 1; t < s.length - 1; t++) {
                assertTrue(s[t] >= 999 && s[t] < vocab, "token " + s[t]);
            }
        }
        List<int[]> again = ModeRunner.randomTokenIds();
        for (int i = 0; i < ids.size(); i++) {
            assertArrayEquals(ids.get(i), again.get(i));
        }
    }
}

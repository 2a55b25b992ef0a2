package dev.quant4j.examples.minilm.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.calibrate.InputStatistics;
import dev.quant4j.examples.minilm.InputRecorder;
import dev.quant4j.examples.minilm.MiniLmConfig;
import dev.quant4j.examples.minilm.onnx.MiniLmLoader;
import dev.quant4j.examples.minilm.onnx.OnnxWeights;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The calibration sentences never overlap the measured ones, and recording on them covers every linear layer. */
class CalibrationSentencesTest {
    @Test
    void noCalibrationSentenceIsMeasuredAndNoneSharesASixWordRunWithOne() throws IOException {
        List<String> measured = Sentences.load();
        List<String> activation = Sentences.load(Sentences.CALIBRATION_RESOURCE);
        assertTrue(activation.size() >= 64, activation.size() + " calibration sentences");
        List<String> weight = Sentences.load(Sentences.WEIGHT_CALIBRATION_RESOURCE);
        assertTrue(weight.size() >= 600, weight.size() + " weight calibration sentences");
        List<String> calibration = new java.util.ArrayList<>(activation);
        calibration.addAll(weight);
        assertEquals(calibration.size(), new HashSet<>(calibration).size(), "a calibration sentence is repeated");
        Set<String> runs = new HashSet<>();
        for (String s : measured) {
            runs.addAll(wordRuns(s, 6));
        }
        for (String c : calibration) {
            assertTrue(!measured.contains(c), "measured and calibration: " + c);
            for (String run : wordRuns(c, 6)) {
                assertTrue(!runs.contains(run), "'" + run + "' is in a measured sentence too: " + c);
            }
        }
    }

    private static List<String> wordRuns(String sentence, int n) {
        String[] w = sentence.toLowerCase(Locale.ROOT)
                .replaceAll("[^\\p{L}\\p{N} ]", " ")
                .trim()
                .split("\\s+");
        java.util.ArrayList<String> out = new java.util.ArrayList<>();
        for (int i = 0; i + n <= w.length; i++) {
            out.add(String.join(" ", java.util.Arrays.asList(w).subList(i, i + n)));
        }
        return out;
    }

    /** GPTQ's second moment of the 1,536-input FFN output matrices needs more tokens than inputs. */
    @Test
    void weightCalibrationHasManyMoreTokensThanTheWidestLayerHasInputs() throws IOException {
        long tokens = ModeRunner.weightCalibrationTokenIds().stream()
                .mapToLong(a -> a.length)
                .sum();
        assertTrue(tokens >= 10_000, tokens + " tokens");
    }

    @Test
    void recordingCoversEveryLinearLayerOfBothVariantsWithTheSameNumbers() throws IOException {
        OnnxWeights weights = MiniLmLoader.weightsFromClasspath();
        List<int[]> ids = ModeRunner.calibrationTokenIds().subList(0, 8);
        InputStatistics holder = InputRecorder.record(MiniLmLoader.holderModel(weights), ids);
        InputStatistics plain = InputRecorder.record(MiniLmLoader.model(weights), ids);
        MiniLmConfig c = MiniLmLoader.config(weights);
        assertEquals(6 * c.layers(), holder.paths().size(), holder.paths().toString());
        assertEquals(holder.paths(), plain.paths());
        long tokens = ids.stream().mapToLong(a -> a.length).sum();
        for (String p : holder.paths()) {
            assertEquals(tokens, holder.rows(p), p);
            float[] m = holder.meanSquares(p);
            assertTrue(m.length == c.hidden() || m.length == c.intermediateSize(), p + " has " + m.length + " inputs");
            assertEquals(java.util.Arrays.toString(m), java.util.Arrays.toString(plain.meanSquares(p)), p);
            double sum = 0;
            for (float v : m) {
                sum += v;
            }
            assertTrue(sum > 0, p + " saw inputs");
        }
    }
}

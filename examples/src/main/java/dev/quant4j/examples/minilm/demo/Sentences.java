package dev.quant4j.examples.minilm.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The demo's sentences (resource {@code sentences.txt}, one per line): a few hundred real sentences
 * over a dozen topics (cooking, sport, programming, finance, health, travel, weather, music, history,
 * animals, everyday life, science, ...), short and long, many with a paraphrase next to them, so a
 * sentence's nearest neighbour is a meaningful retrieval result.
 */
public final class Sentences {

    private Sentences() {}

    /**
     * The calibration sentences (resource, one per line), which the demo records input statistics on for
     * its data-aware rows: written for this purpose, none of them is a measured sentence, and none shares
     * a run of six words with one (CalibrationSentencesTest).
     */
    static final String CALIBRATION_RESOURCE = "calibration-sentences.txt";

    /**
     * More calibration sentences (resource, one per line) for the weights' input statistics only (IMATRIX,
     * GPTQ, the plan rows' candidates), recorded together with {@link #CALIBRATION_RESOURCE}: written for this
     * purpose like those, none of them a measured sentence or sharing a run of six words with one
     * (CalibrationSentencesTest). GPTQ's second moment of a 1,536-input layer needs well over 1,536 tokens. After
     * the 754 written sentences come 165 short utterances (greetings, interjections, one-word replies, heavy on
     * punctuation) and 170 search queries, chat and review snippets, notices and system messages: the worst
     * measured sentences were the shortest ones ("Wait... what?!"), and nothing in the file was shorter than 25
     * characters, so the statistics had never seen a layer's inputs for such text (docs/CALIBRATION.md).
     */
    static final String WEIGHT_CALIBRATION_RESOURCE = "weight-calibration-sentences.txt";

    /** Every sentence, in file order. */
    public static List<String> load() throws IOException {
        List<String> lines = load("sentences.txt");
        if (lines.size() < 250) {
            throw new IOException("sentences.txt has only " + lines.size() + " sentences");
        }
        return lines;
    }

    /** The non-blank lines of a resource next to this class, in file order. */
    static List<String> load(String resource) throws IOException {
        try (InputStream in = Sentences.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException(resource + " not found next to " + Sentences.class.getName());
            }
            return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))
                    .lines()
                    .filter(line -> !line.isBlank())
                    .toList();
        }
    }

    /**
     * {@code count} sentences spread evenly over the file, which is ordered by topic, so every topic
     * keeps its share. The picks are runs of two neighbouring lines, so that many paraphrase pairs
     * (which sit next to each other) stay together and the retrieval check keeps real neighbours. All
     * sentences when {@code count} is at least their number.
     */
    public static List<Integer> evenSubset(int total, int count) {
        if (count <= 0) {
            throw new IllegalArgumentException("the sentence count must be positive, is " + count);
        }
        List<Integer> picked = new ArrayList<>();
        if (count >= total) {
            for (int i = 0; i < total; i++) {
                picked.add(i);
            }
            return picked;
        }
        // Take runs of two neighbouring lines at evenly spaced starts.
        int pairs = (count + 1) / 2;
        double step = (double) total / pairs;
        for (int p = 0; p < pairs && picked.size() < count; p++) {
            int start = (int) Math.floor(p * step);
            if (!picked.isEmpty() && start <= picked.getLast()) {
                start = picked.getLast() + 1;
            }
            for (int i = start; i < Math.min(start + 2, total) && picked.size() < count; i++) {
                picked.add(i);
            }
        }
        return picked;
    }
}

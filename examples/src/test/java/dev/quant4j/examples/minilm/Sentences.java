package dev.quant4j.examples.minilm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The sentences.txt resource, one sentence per line. */
final class Sentences {

    private Sentences() {
    }

    static List<String> load() throws IOException {
        try (InputStream in = Sentences.class.getResourceAsStream("sentences.txt")) {
            if (in == null) {
                throw new IOException("sentences.txt not found next to " + Sentences.class.getName());
            }
            List<String> lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines()
                    .filter(line -> !line.isBlank())
                    .toList();
            if (lines.size() < 250) {
                throw new IOException("sentences.txt has only " + lines.size() + " sentences");
            }
            return lines;
        }
    }
}

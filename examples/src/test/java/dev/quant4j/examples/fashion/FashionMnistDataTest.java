package dev.quant4j.examples.fashion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The example on the real data set, at a size that stays fast: Debian's package must be installed
 * (.ci/run installs it); without it these fail with the install command, they do not skip.
 */
class FashionMnistDataTest {
    static FashionMnist.Data data;

    @BeforeAll
    static void load() throws IOException {
        if (!FashionMnist.present(FashionMnist.DEFAULT_DIR)) {
            throw new AssertionError(FashionMnist.missingMessage(FashionMnist.DEFAULT_DIR));
        }
        data = FashionMnist.load(FashionMnist.DEFAULT_DIR);
    }

    @Test
    void theInstalledFilesAreTheFullSplits() {
        assertEquals(60_000, data.train().count());
        assertEquals(10_000, data.test().count());
        int[] perClass = new int[10];
        for (byte l : data.test().labels()) {
            perClass[l]++;
        }
        for (int c = 0; c < 10; c++) {
            assertEquals(1000, perClass[c], FashionMnist.CLASS_NAMES[c]);
        }
    }

    @Test
    void aSmallRunTrainsAndConvertsToTheAccuracyTheFakeQuantizedForwardMeasured() {
        QatExperiment.Options o =
                new QatExperiment.Options(1_000, 500, 2, 0, 1, 64, 1e-3f, 1e-4f, 3, 5, List.of("q2s:block32"), true);
        QatExperiment.Result r = QatExperiment.run(data, o, new QatExperiment.Listener() {
            @Override
            public void stage(String text, long units) {}

            @Override
            public void advance() {}
        });
        assertTrue(r.floatAccuracy() > 0.6, "float32 accuracy after 2 short epochs: " + r.floatAccuracy());
        assertEquals(2, r.rows().size());
        for (QatExperiment.Row row : r.rows()) {
            // The experiment itself throws when they differ; the row keeps both to show it.
            assertEquals(row.fakeQuantAccuracy(), row.qatAccuracy(), row.scheme());
            assertTrue(row.qatAccuracy() > 0.5, row.toString());
        }
        QatExperiment.Row q2 = r.rows().get(0);
        assertEquals("q2s:block32:f32:u32", q2.scheme());
        // 2-bit codes packed in words plus one f32 scale per block of 32 (784 = 24.5 blocks: edge blocks count):
        // a little over 3 bits per weight.
        assertTrue(q2.bitsPerWeight() > 3.0 && q2.bitsPerWeight() < 3.1, "bits per weight " + q2.bitsPerWeight());
        String json = QatReport.jsonRow(q2);
        for (String key : List.of(
                "\"scheme\"", "\"float_accuracy\"", "\"ptq_accuracy\"", "\"qat_accuracy\"", "\"weight_bytes\"")) {
            assertTrue(json.contains(key), json);
        }
        String html = QatReport.html(r);
        assertTrue(html.contains("<svg") && html.contains("<polyline") && !html.contains("http-equiv"), "inline SVG");
        assertTrue(!html.contains("src=\"http") && !html.contains("href=\"http"), "self-contained");
    }

    @Test
    void theMainRejectsBadOptionsAndEscapesWhatItEchoes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = QatMain.run(new String[] {"--scheme", "q9x"}, new PrintStream(out), new PrintStream(err));
        assertEquals(2, rc);
        assertTrue(err.toString().contains("--scheme"), err.toString());
        rc = QatMain.run(new String[] {"--bogus\u001b[2J"}, new PrintStream(out), new PrintStream(err));
        assertEquals(2, rc);
        assertTrue(err.toString().contains("unknown option '--bogus\\u001b[2J'"), err.toString());
    }
}

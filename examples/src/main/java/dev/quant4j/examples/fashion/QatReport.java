package dev.quant4j.examples.fashion;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The text table, the JSON rows and the HTML report (inline SVG, nothing fetched) of {@code ./quant4j qat}. */
final class QatReport {
    private QatReport() {}

    static String table(QatExperiment.Result r) {
        StringBuilder b = new StringBuilder();
        QatExperiment.Options o = r.options();
        b.append(String.format(
                Locale.ROOT,
                "Fashion-MNIST MLP 784-256-128-10, %d training / %d test images;"
                        + " float32 %d epochs (the last %d at lr %.0e), QAT %d epochs at lr %.0e; %.0f s%n",
                o.trainExamples(),
                o.testExamples(),
                o.floatEpochs(),
                o.decayEpochs(),
                o.learningRate() / 10,
                o.qatEpochs(),
                o.qatLearningRate(),
                r.seconds()));
        b.append(String.format(
                Locale.ROOT,
                "float32 test accuracy %.4f (%d weights, %d bytes); trained on in float32"
                        + " for the QAT epochs: %.4f%n%n",
                r.floatAccuracy(),
                r.weightCount(),
                4 * r.weightCount(),
                r.floatFineTunedAccuracy()));
        b.append(String.format(
                Locale.ROOT,
                "%-52s %8s %8s %8s %10s %8s %10s%n",
                "scheme",
                "float32",
                "PTQ",
                "QAT",
                "weight B",
                "bits/w",
                "recovered"));
        for (QatExperiment.Row row : r.rows()) {
            b.append(String.format(
                    Locale.ROOT,
                    "%-52s %8.4f %8.4f %8.4f %10d %8.3f %10s%n",
                    row.scheme(),
                    row.floatAccuracy(),
                    row.ptqAccuracy(),
                    row.qatAccuracy(),
                    row.weightBytes(),
                    row.bitsPerWeight(),
                    recovered(row)));
        }
        return b.toString();
    }

    /** The share of PTQ's loss that QAT wins back, or "-" when PTQ lost nothing. */
    static String recovered(QatExperiment.Row row) {
        double lost = row.floatAccuracy() - row.ptqAccuracy();
        if (lost <= 0) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.0f%%", 100 * (row.qatAccuracy() - row.ptqAccuracy()) / lost);
    }

    static String jsonRow(QatExperiment.Row r) {
        return String.format(
                Locale.ROOT,
                "{\"scheme\": \"%s\", \"float_accuracy\": %.4f, \"ptq_accuracy\": %.4f,"
                        + " \"qat_accuracy\": %.4f, \"weight_bytes\": %d, \"bits_per_weight\": %.4f}",
                json(r.scheme()),
                r.floatAccuracy(),
                r.ptqAccuracy(),
                r.qatAccuracy(),
                r.weightBytes(),
                r.bitsPerWeight());
    }

    private static String json(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }

    private static String html(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    static String html(QatExperiment.Result r) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>quant4j QAT report</title>\n")
                .append("<style>body{font-family:sans-serif;max-width:860px;margin:2em auto;color:#222}")
                .append("table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #ddd;")
                .append("text-align:right}td:first-child,th:first-child{text-align:left}</style></head><body>\n")
                .append("<h1>Fashion-MNIST: post-training quantization vs quantization-aware training</h1>\n");
        b.append("<pre>").append(html(table(r))).append("</pre>\n");
        b.append(svg(r));
        b.append("<p>Accuracy on the test images against bits per weight (codes and scales of the three weight"
                + " matrices divided by their element count). The dashed line is float32.</p>\n</body></html>\n");
        return b.toString();
    }

    /** Accuracy against bits per weight, PTQ and QAT as two series. */
    static String svg(QatExperiment.Result r) {
        int w = 760;
        int h = 420;
        int left = 60;
        int right = 20;
        int top = 20;
        int bottom = 50;
        List<QatExperiment.Row> rows = new ArrayList<>();
        for (QatExperiment.Row row : r.rows()) {
            if (!row.scheme().startsWith(QatExperiment.ANNOTATED)) {
                rows.add(row);
            }
        }
        rows.sort((a, c) -> Double.compare(a.bitsPerWeight(), c.bitsPerWeight()));
        double lowest = r.floatAccuracy();
        for (QatExperiment.Row row : r.rows()) {
            lowest = Math.min(lowest, Math.min(row.ptqAccuracy(), row.qatAccuracy()));
        }
        double minY = Math.max(0, Math.floor(lowest * 20 - 1) / 20);
        double maxY = Math.min(1, Math.ceil(r.floatAccuracy() * 20 + 0.5) / 20);
        double maxX = 10;
        StringBuilder s = new StringBuilder();
        s.append(String.format(
                Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                        + " viewBox=\"0 0 %d %d\" font-size=\"12\">%n",
                w,
                h,
                w,
                h));
        double pw = w - left - right;
        double ph = h - top - bottom;
        java.util.function.DoubleUnaryOperator px = x -> left + pw * x / maxX;
        java.util.function.DoubleUnaryOperator py = y -> top + ph * (1 - (y - minY) / (maxY - minY));
        s.append(String.format(
                Locale.ROOT,
                "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"none\"" + " stroke=\"#999\"/>%n",
                left,
                top,
                pw,
                ph));
        for (int x = 0; x <= maxX; x++) {
            s.append(String.format(
                    Locale.ROOT,
                    "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>%n",
                    px.applyAsDouble(x),
                    h - bottom + 18,
                    x));
        }
        for (double y = minY; y <= maxY + 1e-9; y += 0.05) {
            s.append(String.format(
                    Locale.ROOT,
                    "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>"
                            + "<line x1=\"%d\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>%n",
                    left - 6,
                    py.applyAsDouble(y) + 4,
                    y,
                    left,
                    left + pw,
                    py.applyAsDouble(y),
                    py.applyAsDouble(y)));
        }
        s.append(String.format(
                Locale.ROOT,
                "<text x=\"%.0f\" y=\"%d\" text-anchor=\"middle\">bits per weight</text>%n",
                left + pw / 2,
                h - 10));
        s.append(String.format(
                Locale.ROOT,
                "<text transform=\"translate(14 %.0f) rotate(-90)\" text-anchor=\"middle\">" + "test accuracy</text>%n",
                top + ph / 2));
        double fy = py.applyAsDouble(r.floatAccuracy());
        s.append(String.format(
                Locale.ROOT,
                "<line x1=\"%d\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#444\""
                        + " stroke-dasharray=\"5 4\"/><text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">float32 %.4f</text>%n",
                left,
                left + pw,
                fy,
                fy,
                left + pw - 4,
                fy - 5,
                r.floatAccuracy()));
        series(s, rows, true, "#d9534f", px, py);
        series(s, rows, false, "#2a7ab9", px, py);
        for (QatExperiment.Row row : rows) {
            s.append(String.format(
                    Locale.ROOT,
                    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#555\">%s" + "</text>%n",
                    px.applyAsDouble(row.bitsPerWeight()),
                    Math.min(py.applyAsDouble(row.ptqAccuracy()) + 18, top + ph - 4),
                    html(row.scheme())));
        }
        s.append(String.format(
                Locale.ROOT,
                "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"#2a7ab9\"/>"
                        + "<text x=\"%d\" y=\"%d\">QAT</text><rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"#d9534f\"/>"
                        + "<text x=\"%d\" y=\"%d\">PTQ</text>%n",
                left + 10,
                top + 10,
                left + 28,
                top + 21,
                left + 70,
                top + 10,
                left + 88,
                top + 21));
        s.append("</svg>\n");
        return s.toString();
    }

    private static void series(
            StringBuilder s,
            List<QatExperiment.Row> rows,
            boolean ptq,
            String colour,
            java.util.function.DoubleUnaryOperator px,
            java.util.function.DoubleUnaryOperator py) {
        StringBuilder points = new StringBuilder();
        for (QatExperiment.Row row : rows) {
            double y = ptq ? row.ptqAccuracy() : row.qatAccuracy();
            points.append(String.format(
                    Locale.ROOT, "%.1f,%.1f ", px.applyAsDouble(row.bitsPerWeight()), py.applyAsDouble(y)));
        }
        s.append(String.format(
                Locale.ROOT,
                "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>%n",
                points.toString().trim(),
                colour));
        for (QatExperiment.Row row : rows) {
            double y = ptq ? row.ptqAccuracy() : row.qatAccuracy();
            s.append(String.format(
                    Locale.ROOT,
                    "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"><title>%s %s %.4f" + "</title></circle>%n",
                    px.applyAsDouble(row.bitsPerWeight()),
                    py.applyAsDouble(y),
                    colour,
                    html(row.scheme()),
                    ptq ? "PTQ" : "QAT",
                    y));
        }
    }
}

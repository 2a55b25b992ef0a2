package dev.quant4j.examples.minilm.demo;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.quant4j.scheme.QuantScheme;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;

/** The demo's results as a text table, as JSON, and as a self-contained HTML page with a chart. */
final class DemoReport {

    /** The keys of each object of {@code --json}, in order. */
    static final List<String> JSON_KEYS = List.of(
            "scheme",
            "calibration",
            "activations",
            "mode",
            "weight_bytes",
            "bits_per_weight",
            "ratio",
            "heap_bytes",
            "cosine_mean",
            "cosine_min",
            "top1_agreement",
            "ms_per_sentence");

    /** Writes and reads a whole {@link DemoResult} for {@link #internalLine}. */
    private static final Gson ROW_LINES =
            new GsonBuilder().serializeSpecialFloatingPointValues().create();

    private DemoReport() {}

    // ---------------------------------------------------------------------------------------------
    // Text

    static String table(List<DemoResult> results) {
        String header = String.format(
                Locale.ROOT,
                "%-28s %-6s %13s %6s %9s %9s %9s %6s %8s %8s",
                "scheme",
                "mode",
                "weight bytes",
                "ratio",
                "heap MiB",
                "cos mean",
                "cos min",
                "top-1",
                "ms/sent",
                "cpu ms");
        return header
                + '\n'
                + "-".repeat(header.length())
                + '\n'
                + rows(results, "%-28s %-6s %,13d %6.3f %9.1f %9.6f %9.6f %6.3f %8.1f %8.1f%n");
    }

    /** Markdown version of the table, for docs. */
    static String markdown(List<DemoResult> results) {
        return "| scheme | mode | weight bytes | ratio | heap MiB | cosine mean | cosine min | top-1 agreement"
                + " | ms/sentence | CPU ms/sentence |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
                + rows(results, "| %s | %s | %,d | %.3f | %.1f | %.6f | %.6f | %.3f | %.1f | %.1f |%n");
    }

    /** One line per result, {@code format} applied to the ten columns of the table (heap in MiB). */
    private static String rows(List<DemoResult> results, String format) {
        return rows(results, format, scheme -> scheme);
    }

    /** As {@link #rows(List, String)}, the scheme column written by {@code schemeText}. */
    private static String rows(List<DemoResult> results, String format, UnaryOperator<String> schemeText) {
        StringBuilder sb = new StringBuilder();
        for (DemoResult r : results) {
            sb.append(String.format(
                    Locale.ROOT,
                    format,
                    schemeText.apply(r.scheme()),
                    r.mode(),
                    r.weightBytes(),
                    r.ratio(),
                    r.heapBytes() / 1048576.0,
                    r.cosineMean(),
                    r.cosineMin(),
                    r.top1Agreement(),
                    r.msPerSentence(),
                    r.cpuMsPerSentence()));
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------------------------------------
    // JSON

    /** The public form: one array, an object per scheme and mode with exactly {@link #JSON_KEYS}. */
    static String json(List<DemoResult> results) {
        JsonArray array = new JsonArray();
        for (DemoResult r : results) {
            array.add(publicObject(r));
        }
        return array.toString();
    }

    private static JsonObject publicObject(DemoResult r) {
        JsonObject o = new JsonObject();
        o.addProperty("scheme", storedScheme(r.scheme()));
        o.addProperty("calibration", r.calibration());
        o.addProperty(
                "activations", DemoOptions.activationsOf(r.scheme()).name().toLowerCase(Locale.ROOT));
        o.addProperty("mode", r.mode().text());
        o.addProperty("weight_bytes", r.weightBytes());
        // Every parameter counts, the float32 biases and LayerNorms too: 32 times the size ratio.
        o.addProperty("bits_per_weight", 32 * r.ratio());
        o.addProperty("ratio", r.ratio());
        o.addProperty("heap_bytes", r.heapBytes());
        o.addProperty("cosine_mean", r.cosineMean());
        o.addProperty("cosine_min", r.cosineMin());
        o.addProperty("top1_agreement", r.top1Agreement());
        o.addProperty("ms_per_sentence", r.msPerSentence());
        return o;
    }

    /** A row's scheme without its weights' calibration ({@code q4f:block32:f16:u32}); f32, annotated, plans as they are. */
    static String storedScheme(String scheme) {
        return isNamedRow(scheme)
                ? scheme
                : QuantScheme.parse(DemoOptions.schemeText(scheme)).storedForm();
    }

    /**
     * How a row's scales were chosen: {@code minmax}, {@code mse}, {@code imatrix}, {@code gptq};
     * {@code imatrix@layernorm} for the imatrix search with data-free importances from the LayerNorms;
     * {@code none} for f32; {@code minmax} for annotated, whose {@code @Quantize} schemes name no other;
     * {@code planned} for a plan row (whose result carries its plan's calibrations instead).
     */
    static String calibration(String scheme) {
        if (scheme.equals(DemoOptions.F32)) {
            return "none";
        }
        if (DemoOptions.isPlan(scheme)) {
            return "planned";
        }
        if (scheme.equals(DemoOptions.ANNOTATED)) {
            return "minmax";
        }
        String token = QuantScheme.token(
                QuantScheme.parse(DemoOptions.schemeText(scheme)).calibration());
        return (token == null ? "minmax" : token) + DemoOptions.sourceOf(scheme);
    }

    private static boolean isNamedRow(String scheme) {
        return scheme.equals(DemoOptions.F32) || scheme.equals(DemoOptions.ANNOTATED) || DemoOptions.isPlan(scheme);
    }

    /**
     * The child-to-parent form: the whole row, each component under its own name, read back by
     * {@link #parseInternalLine}. Gson writes a double as {@link Double#toString}, so each one comes back
     * with the same bits (NaN and the infinities too).
     */
    static String internalLine(DemoResult r) {
        return ROW_LINES.toJson(r);
    }

    static DemoResult parseInternalLine(String line) {
        return ROW_LINES.fromJson(line, DemoResult.class);
    }

    /**
     * Per scheme run in both modes, whether the two gave bit-identical vectors; schemes run in one mode
     * only are left out.
     */
    static Map<String, Boolean> modesAgree(List<DemoResult> results) {
        Map<String, String> holder = new LinkedHashMap<>();
        Map<String, String> agent = new LinkedHashMap<>();
        for (DemoResult r : results) {
            (r.mode() == DemoMode.HOLDER ? holder : agent).put(r.scheme(), r.digest());
        }
        Map<String, Boolean> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : holder.entrySet()) {
            String other = agent.get(e.getKey());
            if (other != null) {
                out.put(e.getKey(), other.equals(e.getValue()));
            }
        }
        return out;
    }

    // ---------------------------------------------------------------------------------------------
    // HTML

    /** A page that needs nothing but a browser: inline CSS and SVG, no scripts, no fonts, no network. */
    static String html(List<DemoResult> results, String context) {
        StringBuilder sb = new StringBuilder();
        sb.append("""
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8">
                <title>quant4j demo: all-MiniLM-L6-v2 quantized</title>
                <style>
                body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:70em}
                table{border-collapse:collapse;font-variant-numeric:tabular-nums}
                th,td{padding:.3em .7em;border-bottom:1px solid #ddd;text-align:right}
                th:nth-child(-n+2),td:nth-child(-n+2){text-align:left}
                caption{text-align:left;font-weight:600;margin-bottom:.5em}
                .note{color:#555;font-size:.9em}
                </style></head><body>
                <h1>quant4j demo: all-MiniLM-L6-v2, quantized</h1>
                """);
        sb.append("<p class=\"note\">").append(escape(context)).append("</p>\n");
        sb.append(chart(results));
        sb.append("<table><caption>Size, memory and quality per scheme and mode</caption>\n<tr>");
        for (String h : List.of(
                "scheme",
                "mode",
                "weight bytes",
                "ratio",
                "heap MiB",
                "cosine mean",
                "cosine min",
                "top-1 agreement",
                "ms/sentence",
                "CPU ms/sentence")) {
            sb.append("<th>").append(h).append("</th>");
        }
        sb.append("</tr>\n");
        sb.append(rows(
                results,
                "<tr><td>%s</td><td>%s</td><td>%,d</td><td>%.3f</td><td>%.1f</td>"
                        + "<td>%.6f</td><td>%.6f</td><td>%.3f</td><td>%.1f</td><td>%.1f</td></tr>%n",
                DemoReport::escape));
        sb.append("</table>\n<p class=\"note\">weight bytes: every parameter as stored (quantized tensors as packed"
                + " codes plus scales, the rest float32). heap: live heap after quantization and a full GC, minus the"
                + " live heap before the model was built. cosine: between each sentence's vector and its float32"
                + " vector. top-1 agreement: how often a sentence's nearest neighbour in the set is the same as with"
                + " float32.</p>\n</body></html>\n");
        return sb.toString();
    }

    /**
     * Quality against size: x is weight MB, y is 1 - cosine on a log scale (the differences between
     * good schemes are in the fourth decimal and beyond), one point per scheme for the mean and one for
     * the minimum. Quality and size are the same in both modes, so each scheme is drawn once.
     */
    static String chart(List<DemoResult> results) {
        Map<String, DemoResult> byScheme = new LinkedHashMap<>();
        for (DemoResult r : results) {
            byScheme.putIfAbsent(r.scheme(), r);
        }
        List<DemoResult> points = new ArrayList<>();
        for (DemoResult r : byScheme.values()) {
            if (!r.scheme().equals(DemoOptions.F32)) {
                points.add(r);
            }
        }
        int w = 760;
        int h = 420;
        int left = 80;
        int right = 40;
        int top = 40;
        int bottom = 60;
        double maxMb = 0;
        for (DemoResult r : byScheme.values()) {
            maxMb = Math.max(maxMb, r.weightBytes() / 1e6);
        }
        maxMb = Math.max(1, Math.ceil(maxMb / 10) * 10);
        double lo = Double.POSITIVE_INFINITY;
        double hi = 1e-9;
        for (DemoResult r : points) {
            hi = Math.max(hi, 1 - r.cosineMin());
            lo = Math.min(lo, Math.max(1e-9, 1 - r.cosineMean()));
        }
        if (points.isEmpty()) {
            lo = 1e-6;
        }
        int decadeLo = (int) Math.floor(Math.log10(lo));
        int decadeHi = (int) Math.ceil(Math.log10(hi));
        if (decadeHi == decadeLo) {
            decadeHi++;
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(
                Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                        + " viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"quality against size per scheme\""
                        + " font-family=\"sans-serif\" font-size=\"12\">%n",
                w,
                h,
                w,
                h));
        sb.append(String.format(
                Locale.ROOT,
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fafafa\"" + " stroke=\"#999\"/>%n",
                left,
                top,
                w - left - right,
                h - top - bottom));
        for (int d = decadeLo; d <= decadeHi; d++) {
            double y = yOf(Math.pow(10, d), decadeLo, decadeHi, top, h - bottom);
            sb.append(String.format(
                    Locale.ROOT,
                    "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>"
                            + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">1e%d</text>%n",
                    left,
                    w - right,
                    y,
                    y,
                    left - 6,
                    y + 4,
                    d));
        }
        for (int i = 0; i <= 5; i++) {
            double mb = maxMb * i / 5;
            double x = xOf(mb, maxMb, left, w - right);
            sb.append(String.format(
                    Locale.ROOT,
                    "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#e0e0e0\"/>"
                            + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.0f</text>%n",
                    x,
                    x,
                    top,
                    h - bottom,
                    x,
                    h - bottom + 16,
                    mb));
        }
        sb.append(String.format(
                Locale.ROOT,
                "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">weight MB (float32 =" + " %.1f MB)</text>%n",
                (left + w - right) / 2,
                h - 20,
                byScheme.containsKey(DemoOptions.F32)
                        ? byScheme.get(DemoOptions.F32).weightBytes() / 1e6
                        : 0));
        sb.append(String.format(
                Locale.ROOT,
                "<text x=\"18\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 18"
                        + " %d)\">1 - cosine to float32 (lower is better)</text>%n",
                (top + h - bottom) / 2,
                (top + h - bottom) / 2));
        // Labels go in a column right of the points they name, ordered by height and pushed apart so that
        // schemes of about the same size and quality (the 4-bit ones) stay readable; a thin line joins each
        // label to its point.
        points.sort((a, b) -> Double.compare(a.cosineMean(), b.cosineMean()));
        double labelY = Double.NEGATIVE_INFINITY;
        for (DemoResult r : points) {
            double x = xOf(r.weightBytes() / 1e6, maxMb, left, w - right);
            double yMean =
                    yOf(Math.max(1 - r.cosineMean(), Math.pow(10, decadeLo)), decadeLo, decadeHi, top, h - bottom);
            double yMin = yOf(Math.max(1 - r.cosineMin(), Math.pow(10, decadeLo)), decadeLo, decadeHi, top, h - bottom);
            labelY = Math.max(yMean + 4, labelY + 15);
            double labelX = xOf(maxMb * 0.42, maxMb, left, w - right);
            sb.append(String.format(
                    Locale.ROOT,
                    "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>"
                            + "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ccc\"/>"
                            + "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"#1f77b4\"><title>%s mean cosine %.6f</title>"
                            + "</circle><rect x=\"%.1f\" y=\"%.1f\" width=\"8\" height=\"8\" fill=\"#d62728\"><title>%s min"
                            + " cosine %.6f</title></rect><text x=\"%.1f\" y=\"%.1f\">%s (%.1f MB, mean %.4f)</text>%n",
                    x,
                    x,
                    yMean,
                    yMin,
                    x + 6,
                    labelX - 4,
                    yMean,
                    labelY - 4,
                    x,
                    yMean,
                    escape(r.scheme()),
                    r.cosineMean(),
                    x - 4,
                    yMin - 4,
                    escape(r.scheme()),
                    r.cosineMin(),
                    labelX,
                    labelY,
                    escape(r.scheme()),
                    r.weightBytes() / 1e6,
                    r.cosineMean()));
        }
        // The legend sits in the top margin, above the plot, where no label can reach.
        int legendX = w - right - 300;
        sb.append(String.format(
                Locale.ROOT,
                "<circle cx=\"%d\" cy=\"%d\" r=\"5\" fill=\"#1f77b4\"/><text x=\"%d\""
                        + " y=\"%d\">mean over sentences</text><rect x=\"%d\" y=\"%d\" width=\"8\" height=\"8\""
                        + " fill=\"#d62728\"/><text x=\"%d\" y=\"%d\">worst sentence</text>%n",
                legendX,
                top - 16,
                legendX + 10,
                top - 12,
                legendX + 160,
                top - 20,
                legendX + 174,
                top - 12));
        sb.append("</svg>\n");
        return sb.toString();
    }

    private static double xOf(double mb, double maxMb, int x0, int x1) {
        return x0 + (x1 - x0) * mb / maxMb;
    }

    /** Log scale, the larger error at the top. */
    private static double yOf(double value, int decadeLo, int decadeHi, int y0, int y1) {
        double f = (Math.log10(value) - decadeLo) / (decadeHi - decadeLo);
        return y1 - (y1 - y0) * f;
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}

package dev.quant4j.model;

import dev.quant4j.scheme.QuantScheme;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What one {@link Quantization} call did to each weight field: per field path its scheme, shape and
 * bytes before and after, and totals. {@link #toString()} prints it as a table.
 */
public final class QuantizationReport {
    /** The call that produced the report. */
    public enum Operation {
        /** {@link Quantization#quantizeWeights}: the weights are now held quantized. */
        QUANTIZE,
        /** {@link Quantization#simulate}: quantized then dequantized in place; still float32. */
        SIMULATE,
        /** {@link Quantization#dequantizeWeights}: quantized weights are float32 again. */
        DEQUANTIZE
    }

    /** What happened to one field. */
    public enum Outcome {
        /** Quantized now. */
        QUANTIZED,
        /** Quantized and dequantized in place (simulation); the bytes after are what quantizing would give. */
        SIMULATED,
        /** Dequantized now. */
        DEQUANTIZED,
        /** Held quantized data already and was left as it was. */
        ALREADY_QUANTIZED;

        String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', ' ');
        }
    }

    /**
     * One field.
     *
     * @param path        the field path, e.g. {@code blocks[3].attention.wq}
     * @param scheme      the scheme of the quantized data
     * @param shape       the tensor's shape
     * @param bytesBefore bytes the field's value took before the call
     * @param bytesAfter  bytes it takes after (for a simulation: what the quantized data would take)
     * @param outcome     what happened
     * @param maxAbsError largest {@code |x - dequantize(quantize(x))|}, measured in simulations; NaN otherwise
     * @param rmse        root mean square of the same errors, measured in simulations; NaN otherwise
     */
    public record Entry(
            String path,
            QuantScheme scheme,
            int[] shape,
            long bytesBefore,
            long bytesAfter,
            Outcome outcome,
            double maxAbsError,
            double rmse) {
        public Entry {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(scheme, "scheme");
            Objects.requireNonNull(outcome, "outcome");
            shape = shape.clone();
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }

        /** Bytes before divided by bytes after (1 for empty tensors). */
        public double ratio() {
            return ratio(bytesBefore, bytesAfter);
        }

        private static double ratio(long before, long after) {
            return after == 0 ? 1.0 : (double) before / after;
        }

        @Override
        public String toString() {
            return path + " " + scheme + " " + Arrays.toString(shape) + " " + bytesBefore + " -> " + bytesAfter
                    + " bytes (" + outcome.label() + ")";
        }
    }

    private final String model;
    private final Operation operation;
    private final List<Entry> entries;

    QuantizationReport(String model, Operation operation, List<Entry> entries) {
        this.model = model;
        this.operation = operation;
        this.entries = List.copyOf(entries);
    }

    /** The model's class name. */
    public String model() {
        return model;
    }

    public Operation operation() {
        return operation;
    }

    /** One entry per field the call touched or found quantized, in the model's field order. */
    public List<Entry> entries() {
        return entries;
    }

    /** The entry of a field path, or null. */
    public Entry entry(String path) {
        for (Entry e : entries) {
            if (e.path().equals(path)) {
                return e;
            }
        }
        return null;
    }

    public long totalBytesBefore() {
        return entries.stream().mapToLong(Entry::bytesBefore).sum();
    }

    public long totalBytesAfter() {
        return entries.stream().mapToLong(Entry::bytesAfter).sum();
    }

    /** Total bytes before divided by total bytes after. */
    public double ratio() {
        return Entry.ratio(totalBytesBefore(), totalBytesAfter());
    }

    /** The report as a table, one row per field and a total row. */
    @Override
    public String toString() {
        boolean errors = operation == Operation.SIMULATE;
        List<String[]> rows = new ArrayList<>();
        List<String> header =
                new ArrayList<>(List.of("path", "scheme", "shape", "outcome", "bytes before", "bytes after", "ratio"));
        if (errors) {
            header.addAll(List.of("max |err|", "rmse"));
        }
        rows.add(header.toArray(String[]::new));
        for (Entry e : entries) {
            List<String> r = new ArrayList<>(List.of(
                    e.path(),
                    e.scheme().toString(),
                    Arrays.toString(e.shape()),
                    e.outcome().label(),
                    bytes(e.bytesBefore()),
                    bytes(e.bytesAfter()),
                    ratioText(e.ratio())));
            if (errors) {
                r.add(error(e.maxAbsError()));
                r.add(error(e.rmse()));
            }
            rows.add(r.toArray(String[]::new));
        }
        List<String> total = new ArrayList<>(List.of(
                "total (" + entries.size() + " fields)",
                "",
                "",
                "",
                bytes(totalBytesBefore()),
                bytes(totalBytesAfter()),
                ratioText(ratio())));
        if (errors) {
            total.addAll(List.of("", ""));
        }
        rows.add(total.toArray(String[]::new));

        int[] width = new int[header.size()];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        int lineWidth = 2 * (width.length - 1);
        for (int w : width) {
            lineWidth += w;
        }
        StringBuilder sb = new StringBuilder();
        sb.append("quant4j ")
                .append(operation.name().toLowerCase(Locale.ROOT))
                .append(": ")
                .append(model)
                .append(", ")
                .append(entries.size())
                .append(entries.size() == 1 ? " field" : " fields")
                .append(", ")
                .append(human(totalBytesBefore()))
                .append(" -> ")
                .append(human(totalBytesAfter()))
                .append('\n');
        for (int k = 0; k < rows.size(); k++) {
            String[] r = rows.get(k);
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                // Text columns (path .. outcome) align left, numbers right.
                line.append(i == 0 ? "" : "  ").append(pad(r[i], width[i], i < 4));
            }
            sb.append(line.toString().stripTrailing()).append('\n');
            if (k == 0 || k == rows.size() - 2) {
                sb.append("-".repeat(lineWidth)).append('\n');
            }
        }
        return sb.toString();
    }

    private static String pad(String s, int width, boolean left) {
        String fill = " ".repeat(width - s.length());
        return left ? s + fill : fill + s;
    }

    private static String bytes(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    private static String ratioText(double r) {
        return String.format(Locale.ROOT, "%.2fx", r);
    }

    private static String error(double e) {
        return Double.isNaN(e) ? "" : String.format(Locale.ROOT, "%.3g", e);
    }

    private static String human(long n) {
        if (n < 1024) {
            return n + " B";
        }
        if (n < 1024L * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1f MiB", n / (1024.0 * 1024));
    }
}

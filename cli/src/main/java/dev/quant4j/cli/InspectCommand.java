package dev.quant4j.cli;

import com.google.gson.stream.JsonWriter;
import dev.quant4j.io.DisplayText;
import dev.quant4j.io.QuantizedInfo;
import dev.quant4j.io.SafetensorsEntry;
import dev.quant4j.io.gguf.GgufReader;
import dev.quant4j.io.gguf.GgufValue;
import dev.quant4j.io.SafetensorsReader;
import dev.quant4j.io.TensorInfo;
import dev.quant4j.tensor.FloatTensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Lists a file's tensors (name, shape, scheme or dtype, bytes, bits per weight) with totals; with
 * {@code --compare}, also each tensor's error against the original file. Output keys: docs/CLI.md.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"List the tensors of a safetensors file: name, shape, scheme or dtype, bytes, bits per weight.",
                "With --compare, also the error of each tensor against the original: RMSE, largest absolute "
                        + "error and SNR in dB."})
final class InspectCommand extends FileCommand {
    @Parameters(index = "0", paramLabel = "FILE", description = "The safetensors file to inspect.")
    Path file;

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    boolean json;

    @Option(names = "--compare", paramLabel = "ORIGINAL",
            description = "Compare every tensor with the tensor of the same name in ORIGINAL.")
    Path original;

    /** One line of the report. */
    record Row(String name, long[] shape, String kind, String type, long elements, long bytes, double bitsPerWeight,
               ErrorStats error, Boolean identical) {
    }

    @Override
    Path shardableInput() {
        return original == null && !json ? file : null;
    }

    @Override
    void retarget(Path input, Path output) {
        this.file = input;
    }

    @Override
    int execute() throws Exception {
        if (GgufFiles.isGguf(file)) {
            if (json || original != null) {
                throw new CliException("--json and --compare read safetensors files; convert " + file
                        + " first with 'quant4j convert " + file + " OUT.safetensors'");
            }
            printGguf();
            return Main.OK;
        }
        try (SafetensorsReader in = open(file);
             SafetensorsReader orig = original == null ? null : open(original)) {
            printWarnings(in);
            if (orig != null) {
                printWarnings(orig);
            }
            List<Row> rows = new ArrayList<>();
            List<String> missing = new ArrayList<>();
            long work = in.fileSize() - in.dataStart();
            try (Progress progress = Progress.start(err(), this.progress, "compare", orig == null ? 0 : work)) {
                for (SafetensorsEntry e : in.entries()) {
                    begin(progress, e.name());
                    Row row = row(in, orig, e, missing);
                    rows.add(row);
                    progress.advance(e.byteSize());
                }
            }
            List<String> onlyInOriginal = new ArrayList<>();
            if (orig != null) {
                Set<String> names = new HashSet<>();
                in.entries().forEach(e -> names.add(e.name()));
                orig.entries().stream().map(SafetensorsEntry::name).filter(n -> !names.contains(n))
                        .forEach(onlyInOriginal::add);
            }
            if (json) {
                printJson(in, rows, missing, onlyInOriginal);
            } else {
                printTable(in, rows, missing, onlyInOriginal);
            }
        }
        return Main.OK;
    }

    private Row row(SafetensorsReader in, SafetensorsReader orig, SafetensorsEntry e, List<String> missing)
            throws IOException {
        String kind;
        String type;
        double bpw;
        switch (e) {
            case QuantizedInfo q -> {
                kind = "quantized";
                type = q.scheme().toString();
                bpw = q.bitsPerWeight();
            }
            case TensorInfo t -> {
                kind = t.dtype().isQuantizable() ? "float" : "other";
                type = t.dtype().name();
                bpw = t.dtype().bits();
            }
        }
        ErrorStats error = null;
        Boolean identical = null;
        if (orig != null) {
            SafetensorsEntry o = orig.entry(e.name());
            if (o == null) {
                missing.add(e.name());
            } else {
                if (!Arrays.equals(e.shapeLong(), o.shapeLong())) {
                    throw new CliException("tensor '" + e.name() + "' has shape " + Arrays.toString(e.shapeLong())
                            + " in " + file + " but " + Arrays.toString(o.shapeLong()) + " in " + original
                            + "; compare a file with the one it was made from");
                }
                if (numeric(e) && numeric(o)) {
                    FloatTensor ref = orig.readAsFloat32(o);
                    FloatTensor got = in.readAsFloat32(e);
                    error = ErrorStats.of(ref.data(), got.data());
                } else if (e instanceof TensorInfo t && o instanceof TensorInfo u && t.dtype() == u.dtype()) {
                    identical = in.data(t).mismatch(orig.data(u)) == -1;
                } else {
                    throw new CliException("tensor '" + e.name() + "' is " + type + " in " + file + " but "
                            + (o instanceof TensorInfo u ? u.dtype().name() : "quantized") + " in " + original
                            + "; only float and quantized tensors compare by value, others must have the same dtype");
                }
            }
        }
        return new Row(e.name(), e.shapeLong(), kind, type, e.elementCount(), e.byteSize(), bpw, error, identical);
    }

    private static boolean numeric(SafetensorsEntry e) {
        return e instanceof QuantizedInfo || e instanceof TensorInfo t && t.dtype().isQuantizable();
    }

    /** Sums over the rows. */
    private static final class Totals {
        int tensors;
        int quantized;
        int floats;
        int others;
        long elements;
        long bytes;
        long weights;
        long weightBytes;
        int compared;
        final ErrorStats error = new ErrorStats();

        Totals(List<Row> rows) {
            for (Row r : rows) {
                tensors++;
                elements += r.elements();
                bytes += r.bytes();
                switch (r.kind()) {
                    case "quantized" -> quantized++;
                    case "float" -> floats++;
                    default -> others++;
                }
                if (!r.kind().equals("other")) {
                    weights += r.elements();
                    weightBytes += r.bytes();
                }
                if (r.error() != null) {
                    compared++;
                    error.add(r.error());
                }
            }
        }

        double bitsPerWeight() {
            return weights == 0 ? 0 : weightBytes * 8.0 / weights;
        }
    }

    private void printTable(SafetensorsReader in, List<Row> rows, List<String> missing, List<String> onlyInOriginal) {
        PrintWriter out = out();
        boolean compare = original != null;
        List<String[]> cells = new ArrayList<>();
        cells.add(compare ? new String[] {"name", "shape", "type", "bytes", "bits/w", "rmse", "max|err|", "snr dB"}
                : new String[] {"name", "shape", "type", "bytes", "bits/w"});
        for (Row r : rows) {
            // Escaped before the widths are measured, so a name with control characters keeps the columns.
            String[] c = {DisplayText.escape(r.name()), Sizes.shape(r.shape()), r.type(), Sizes.bytes(r.bytes()),
                    String.format(Locale.ROOT, "%.3f", r.bitsPerWeight())};
            if (compare) {
                c = Arrays.copyOf(c, 8);
                if (r.error() != null) {
                    c[5] = sci(r.error().rmse());
                    c[6] = sci(r.error().maxAbs);
                    c[7] = db(r.error().snrDb());
                } else {
                    c[5] = r.identical() == null ? "(not in original)" : r.identical() ? "identical" : "DIFFERS";
                    c[6] = "";
                    c[7] = "";
                }
            }
            cells.add(c);
        }
        printColumns(out, cells);
        Totals t = new Totals(rows);
        Terminal.line(out, String.format(Locale.ROOT, "total: %d tensors (%d quantized, %d float, %d other); "
                        + "%d weights in %s "
                        + "= %.3f bits per weight; tensor data %s, file %s", t.tensors, t.quantized, t.floats, t.others,
                t.weights, Sizes.bytes(t.weightBytes), t.bitsPerWeight(), Sizes.bytes(t.bytes), Sizes.bytes(in.fileSize())));
        if (compare) {
            Terminal.line(out, String.format(Locale.ROOT,
                    "error vs %s: %d tensors, %d weights; rmse %s, max|err| %s, snr %s dB",
                    original, t.compared, t.error.count, sci(t.error.rmse()), sci(t.error.maxAbs), db(t.error.snrDb())));
            if (!missing.isEmpty()) {
                Terminal.line(out, "not in the original: " + String.join(", ", missing));
            }
            if (!onlyInOriginal.isEmpty()) {
                Terminal.line(out, "only in the original: " + String.join(", ", onlyInOriginal));
            }
        }
        out.flush();
    }

    /** A GGUF file: its header, every key with its type (arrays shortened), every tensor with its ggml type. */
    private void printGguf() throws IOException {
        PrintWriter out = out();
        try (GgufReader in = GgufReader.open(file)) {
            Terminal.line(out, String.format(Locale.ROOT, "%s: GGUF v%d, alignment %d, %d keys, %d tensors, file %s",
                    file, in.version(), in.alignment(), in.metadata().size(), in.tensors().size(),
                    Sizes.bytes(in.fileSize())));
            for (Map.Entry<String, GgufValue> e : in.metadata().entrySet()) {
                String v = e.getValue().describe();
                Terminal.line(out, "  " + e.getKey() + " (" + e.getValue().type() + ") = "
                        + (v.length() > 200 ? v.substring(0, 200) + "..." : v));
            }
            List<String[]> cells = new ArrayList<>();
            cells.add(new String[] {"name", "shape", "type", "bytes", "bits/w"});
            long weights = 0;
            long bytes = 0;
            for (GgufReader.TensorInfo t : in.tensors()) {
                long n = t.elementCount();
                weights += n;
                bytes += t.byteSize();
                cells.add(new String[] {DisplayText.escape(t.name()), Sizes.shape(t.shape()), t.type().ggmlName(),
                        Sizes.bytes(t.byteSize()), String.format(Locale.ROOT, "%.3f", n == 0 ? 0 : t.byteSize() * 8.0 / n)});
            }
            printColumns(out, cells);
            Terminal.line(out, String.format(Locale.ROOT, "total: %d tensors, %d weights in %s = %.3f bits per weight",
                    in.tensors().size(), weights, Sizes.bytes(bytes), weights == 0 ? 0 : bytes * 8.0 / weights));
        }
        out.flush();
    }

    /** Rows of cells (escaped already) in columns: the first three left-aligned, the numbers right-aligned. */
    private static void printColumns(PrintWriter out, List<String[]> cells) {
        int[] width = new int[cells.getFirst().length];
        for (String[] c : cells) {
            for (int i = 0; i < c.length; i++) {
                width[i] = Math.max(width[i], c[i].length());
            }
        }
        for (String[] c : cells) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < c.length; i++) {
                boolean right = i >= 3;
                String pad = " ".repeat(width[i] - c[i].length());
                sb.append(i == 0 ? "" : "  ").append(right ? pad + c[i] : c[i] + (i == c.length - 1 ? "" : pad));
            }
            Terminal.line(out, sb.toString().stripTrailing());
        }
    }

    private static String sci(double v) {
        return String.format(Locale.ROOT, "%.3e", v);
    }

    private static String db(double v) {
        return Double.isInfinite(v) ? (v > 0 ? "inf" : "-inf") : String.format(Locale.ROOT, "%.2f", v);
    }

    private void printJson(SafetensorsReader in, List<Row> rows, List<String> missing, List<String> onlyInOriginal)
            throws IOException {
        StringWriter text = new StringWriter();
        JsonWriter w = new JsonWriter(text);
        w.setIndent("  ");
        w.beginObject();
        w.name("file").value(file.toString());
        w.name("file_bytes").value(in.fileSize());
        w.name("header_bytes").value(in.headerLength());
        w.name("compared_with");
        if (original == null) {
            w.nullValue();
        } else {
            w.value(original.toString());
        }
        w.name("metadata").beginObject();
        for (var m : in.userMetadata().entrySet()) {
            w.name(m.getKey()).value(m.getValue());
        }
        w.endObject();
        w.name("tensors").beginArray();
        for (Row r : rows) {
            w.beginObject();
            w.name("name").value(r.name());
            w.name("shape").beginArray();
            for (long d : r.shape()) {
                w.value(d);
            }
            w.endArray();
            w.name("kind").value(r.kind());
            w.name("scheme");
            if (r.kind().equals("quantized")) {
                w.value(r.type());
            } else {
                w.nullValue();
            }
            w.name("dtype");
            if (r.kind().equals("quantized")) {
                w.nullValue();
            } else {
                w.value(r.type());
            }
            w.name("elements").value(r.elements());
            w.name("bytes").value(r.bytes());
            number(w.name("bits_per_weight"), r.bitsPerWeight());
            if (original != null) {
                w.name("compare");
                if (r.error() != null) {
                    errorObject(w, r.error());
                } else if (r.identical() != null) {
                    w.beginObject().name("identical").value(r.identical()).endObject();
                } else {
                    w.nullValue();
                }
            }
            w.endObject();
        }
        w.endArray();
        Totals t = new Totals(rows);
        w.name("totals").beginObject();
        w.name("tensors").value(t.tensors);
        w.name("quantized_tensors").value(t.quantized);
        w.name("float_tensors").value(t.floats);
        w.name("other_tensors").value(t.others);
        w.name("elements").value(t.elements);
        w.name("bytes").value(t.bytes);
        w.name("weights").value(t.weights);
        w.name("weight_bytes").value(t.weightBytes);
        number(w.name("bits_per_weight"), t.bitsPerWeight());
        if (original != null) {
            w.name("compared_tensors").value(t.compared);
            w.name("compare");
            errorObject(w, t.error);
            w.name("not_in_original").beginArray();
            for (String m : missing) {
                w.value(m);
            }
            w.endArray();
            w.name("only_in_original").beginArray();
            for (String m : onlyInOriginal) {
                w.value(m);
            }
            w.endArray();
        }
        w.endObject();
        w.endObject();
        w.flush();
        PrintWriter out = out();
        out.println(Terminal.json(text.toString()));
        out.flush();
    }

    private static void errorObject(JsonWriter w, ErrorStats e) throws IOException {
        w.beginObject();
        w.name("elements").value(e.count);
        number(w.name("rmse"), e.rmse());
        number(w.name("max_abs_error"), e.maxAbs);
        number(w.name("snr_db"), e.snrDb());
        w.endObject();
    }

    /** JSON has no infinities or NaN: those are written as null (an exact copy has SNR null). */
    private static void number(JsonWriter w, double v) throws IOException {
        if (Double.isFinite(v)) {
            w.value(v);
        } else {
            w.nullValue();
        }
    }
}

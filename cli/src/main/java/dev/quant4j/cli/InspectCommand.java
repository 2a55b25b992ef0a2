package dev.quant4j.cli;

import com.google.gson.stream.JsonWriter;
import dev.quant4j.io.DisplayText;
import dev.quant4j.io.gguf.GgufReader;
import dev.quant4j.io.gguf.GgufValue;
import dev.quant4j.tensor.FloatTensor;
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
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Lists a file's tensors (name, shape, scheme or dtype, bytes, bits per weight) with totals; with
 * {@code --compare}, also each tensor's error against the original file. Output keys: docs/CLI.md.
 */
@Command(
        name = "inspect",
        mixinStandardHelpOptions = true,
        description = {
            "List the tensors of a safetensors or GGUF file (or of every shard of a checkpoint): name, "
                    + "shape, scheme, dtype or ggml type, bytes, bits per weight; for GGUF also every key.",
            "With --compare, also the error of each tensor against the original: RMSE, largest absolute "
                    + "error and SNR in dB."
        })
final class InspectCommand extends FileCommand {
    @Parameters(
            index = "0",
            paramLabel = "FILE",
            description = "The file to inspect: .safetensors or .gguf, or a "
                    + "sharded checkpoint (a folder with model.safetensors.index.json, or that index).")
    Path file;

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    boolean json;

    @Option(
            names = "--compare",
            paramLabel = "ORIGINAL",
            description = "Compare every tensor with the tensor of the same name in ORIGINAL (a file in either "
                    + "format, or a sharded checkpoint).")
    Path original;

    /** One line of the report. */
    record Row(
            String name,
            long[] shape,
            String kind,
            String type,
            String scheme,
            String dtype,
            String ggmlType,
            long elements,
            long bytes,
            double bitsPerWeight,
            ErrorStats error,
            Boolean identical) {}

    /** The inputs (one file, or every shard of a checkpoint) and the original's, for lookups by name. */
    private List<InputFile> inputs;

    private List<InputFile> originals;

    @Override
    int execute() throws Exception {
        inputs = openInputs(file, false);
        originals = original == null ? List.of() : openInputs(original, false);
        if (!json) {
            for (InputFile in : inputs) {
                if (in.isGguf()) {
                    printGgufHeader(in);
                }
            }
        }
        List<Row> rows = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        long work = 0;
        for (InputFile in : inputs) {
            work += in.dataBytes();
        }
        try (Progress _ = startProgress("compare", original == null ? 0 : work)) {
            for (InputFile in : inputs) {
                for (InputFile.Tensor t : in.tensors()) {
                    begin(t.name());
                    rows.add(row(in, t, missing));
                    advance(t.byteSize());
                }
            }
        }
        List<String> onlyInOriginal = new ArrayList<>();
        if (original != null) {
            Set<String> names = new HashSet<>();
            for (InputFile in : inputs) {
                in.tensors().forEach(t -> names.add(t.name()));
            }
            for (InputFile o : originals) {
                o.tensors().stream()
                        .map(InputFile.Tensor::name)
                        .filter(n -> !names.contains(n))
                        .forEach(onlyInOriginal::add);
            }
        }
        if (json) {
            printJson(rows, missing, onlyInOriginal);
        } else {
            printTable(rows, missing, onlyInOriginal);
        }
        return Main.OK;
    }

    /** The original's tensor of this name, or null. */
    private InputFile.Tensor originalTensor(String name) {
        for (InputFile o : originals) {
            InputFile.Tensor t = o.tensor(name);
            if (t != null) {
                return t;
            }
        }
        return null;
    }

    private Row row(InputFile in, InputFile.Tensor e, List<String> missing) throws IOException {
        String kind = kind(e);
        String type = e.type();
        long n = e.elementCount();
        double bpw = switch (e) {
            case InputFile.Plain p -> p.dtype().bits();
            default -> n == 0 ? 0 : e.byteSize() * 8.0 / n;
        };
        ErrorStats error = null;
        Boolean identical = null;
        if (original != null) {
            InputFile.Tensor o = originalTensor(e.name());
            if (o == null) {
                missing.add(e.name());
            } else {
                if (!Arrays.equals(e.shape(), o.shape())) {
                    throw new CliException("tensor '" + e.name() + "' has shape " + Arrays.toString(e.shape())
                            + " in " + file + " but " + Arrays.toString(o.shape()) + " in " + original
                            + "; compare a file with the one it was made from");
                }
                if (!kind.equals("other") && !kind(o).equals("other")) {
                    FloatTensor ref = values(o);
                    FloatTensor got = values(e);
                    error = ErrorStats.of(ref.data(), got.data());
                } else if (e instanceof InputFile.Plain t && o instanceof InputFile.Plain u && t.dtype() == u.dtype()) {
                    identical = t.data().get().mismatch(u.data().get()) == -1;
                } else {
                    throw new CliException("tensor '" + e.name() + "' is " + type + " in " + file + " but "
                            + o.type() + " in " + original
                            + "; only float and quantized tensors compare by value, others must have the same dtype");
                }
            }
        }
        return new Row(
                e.name(),
                e.shape(),
                kind,
                type,
                e instanceof InputFile.Quantized q ? q.scheme().toString() : null,
                e instanceof InputFile.Plain p ? p.dtype().name() : null,
                in.isGguf() ? type : null,
                n,
                e.byteSize(),
                bpw,
                error,
                identical);
    }

    /** {@code quantized} (a scheme or a ggml block type), {@code float} (F32 / F16 / BF16) or {@code other}. */
    private static String kind(InputFile.Tensor t) {
        return switch (t) {
            case InputFile.Plain p -> p.isFloat() ? "float" : "other";
            default -> "quantized";
        };
    }

    /** The tensor's values as float32 (dequantized, or widened). */
    private static FloatTensor values(InputFile.Tensor t) throws IOException {
        return switch (t) {
            case InputFile.Quantized q -> q.values().get();
            case InputFile.Plain p -> p.values().get();
            case InputFile.Decoded d -> d.values().get();
        };
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

    private void printTable(List<Row> rows, List<String> missing, List<String> onlyInOriginal) {
        PrintWriter out = out();
        boolean compare = original != null;
        List<String[]> cells = new ArrayList<>();
        cells.add(
                compare
                        ? new String[] {"name", "shape", "type", "bytes", "bits/w", "rmse", "max|err|", "snr dB"}
                        : new String[] {"name", "shape", "type", "bytes", "bits/w"});
        for (Row r : rows) {
            // Escaped before the widths are measured, so a name with control characters keeps the columns.
            String[] c = {
                DisplayText.escape(r.name()),
                Sizes.shape(r.shape()),
                r.type(),
                Sizes.bytes(r.bytes()),
                String.format(Locale.ROOT, "%.3f", r.bitsPerWeight())
            };
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
        Terminal.line(
                out,
                String.format(
                        Locale.ROOT,
                        "total: %d tensors (%d quantized, %d float, %d other); "
                                + "%d weights in %s "
                                + "= %.3f bits per weight; tensor data %s, file %s",
                        t.tensors,
                        t.quantized,
                        t.floats,
                        t.others,
                        t.weights,
                        Sizes.bytes(t.weightBytes),
                        t.bitsPerWeight(),
                        Sizes.bytes(t.bytes),
                        Sizes.bytes(fileBytes())));
        if (compare) {
            Terminal.line(
                    out,
                    String.format(
                            Locale.ROOT,
                            "error vs %s: %d tensors, %d weights; rmse %s, max|err| %s, snr %s dB",
                            original,
                            t.compared,
                            t.error.count,
                            sci(t.error.rmse()),
                            sci(t.error.maxAbs),
                            db(t.error.snrDb())));
            if (!missing.isEmpty()) {
                Terminal.line(out, "not in the original: " + String.join(", ", missing));
            }
            if (!onlyInOriginal.isEmpty()) {
                Terminal.line(out, "only in the original: " + String.join(", ", onlyInOriginal));
            }
        }
        out.flush();
    }

    /** The inputs' bytes in all. */
    private long fileBytes() {
        return inputs.stream().mapToLong(InputFile::fileSize).sum();
    }

    /** A GGUF file's header line and every key with its type (long values shortened). */
    private void printGgufHeader(InputFile f) {
        PrintWriter out = out();
        GgufReader in = f.gguf();
        Terminal.line(
                out,
                String.format(
                        Locale.ROOT,
                        "%s: GGUF v%d, alignment %d, %d keys, %d tensors, file %s",
                        f.file(),
                        in.version(),
                        in.alignment(),
                        in.metadata().size(),
                        in.tensors().size(),
                        Sizes.bytes(in.fileSize())));
        for (Map.Entry<String, GgufValue> e : in.metadata().entrySet()) {
            String v = e.getValue().describe();
            Terminal.line(
                    out,
                    "  " + e.getKey() + " (" + e.getValue().type() + ") = "
                            + (v.length() > 200 ? v.substring(0, 200) + "..." : v));
        }
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

    private void printJson(List<Row> rows, List<String> missing, List<String> onlyInOriginal) throws IOException {
        StringWriter text = new StringWriter();
        JsonWriter w = new JsonWriter(text);
        w.setIndent("  ");
        w.beginObject();
        w.name("file").value(file.toString());
        w.name("format").value(inputs.getFirst().isGguf() ? "gguf" : "safetensors");
        w.name("file_bytes").value(fileBytes());
        w.name("header_bytes")
                .value(inputs.stream().mapToLong(InputFile::headerBytes).sum());
        w.name("compared_with");
        if (original == null) {
            w.nullValue();
        } else {
            w.value(original.toString());
        }
        w.name("metadata").beginObject();
        for (var m : inputs.getFirst().metadata().entrySet()) {
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
            w.name("scheme").value(r.scheme());
            w.name("dtype").value(r.dtype());
            if (r.ggmlType() != null) {
                w.name("ggml_type").value(r.ggmlType());
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

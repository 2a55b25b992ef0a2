package dev.quant4j.examples.fashion;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code ./quant4j qat}: trains the Fashion-MNIST MLP, then compares post-training quantization with
 * quantization-aware training at several weight schemes.
 */
public final class QatMain {
    static final String USAGE = """
            usage: ./quant4j qat [--quick] [--json] [--out report.html] [--data DIR] [--epochs N] [--qat-epochs N]
                                 [--seed N] [--scheme TEXT]... [--no-progress]
              Trains a 784-256-128-10 MLP on Fashion-MNIST in float32 (plain Java, one thread, seeded), then for
              each scheme: PTQ (quantize the float32 weights) and QAT (fine-tune through fake quantization from
              the float32 weights, then convert). Prints a table, or with --json one JSON object per row.
              --quick      a small run (4,000 training and 2,000 test images, 3 + 1 epochs), under a minute
              --epochs N   float32 epochs (default 10; the last 2 at a tenth of the learning rate, 1e-4)
              --qat-epochs N  fine-tuning epochs for QAT, and for the float32 comparison (default 3)
              --out FILE   an HTML report: accuracy against bits per weight for PTQ and QAT (inline SVG)
              --data DIR   the four .gz files (default /usr/share/datasets/fashion-mnist)
              --scheme T   a weight scheme in text form, repeatable (default q8s:tensor q4s:block32
                           q2s:block32 e2m1:block32:ue8m0; plus the model's annotated schemes)
            """;

    private QatMain() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        boolean quick = false;
        boolean json = false;
        Boolean progress = null;
        Path report = null;
        Path dataDir = FashionMnist.DEFAULT_DIR;
        Integer epochs = null;
        Integer qatEpochs = null;
        Long seed = null;
        List<String> schemes = new ArrayList<>();
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--quick" -> quick = true;
                    case "--json" -> json = true;
                    case "--no-progress" -> progress = false;
                    case "--progress" -> progress = true;
                    case "--out" -> report = Path.of(value(args, ++i, a));
                    case "--data" -> dataDir = Path.of(value(args, ++i, a));
                    case "--epochs" -> epochs = positive(value(args, ++i, a), a);
                    case "--qat-epochs" -> qatEpochs = positive(value(args, ++i, a), a);
                    case "--seed" -> seed = Long.parseLong(value(args, ++i, a));
                    case "--scheme" -> schemes.add(value(args, ++i, a));
                    case "-h", "--help" -> {
                        out.print(USAGE);
                        return 0;
                    }
                    default -> throw new IllegalArgumentException("unknown option '" + Safe.text(a) + "'");
                }
            }
        } catch (IllegalArgumentException e) {
            err.println("quant4j qat: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
        QatExperiment.Options o = quick ? QatExperiment.Options.quick() : QatExperiment.Options.full();
        if (epochs != null || qatEpochs != null || seed != null || !schemes.isEmpty()) {
            o = o.with(
                    epochs != null ? epochs : o.floatEpochs(),
                    qatEpochs != null ? qatEpochs : o.qatEpochs(),
                    seed != null ? seed : o.seed(),
                    schemes.isEmpty() ? o.schemes() : schemes);
        }
        try {
            for (String s : o.schemes()) {
                dev.quant4j.scheme.QuantScheme.parse(s).validate();
            }
        } catch (RuntimeException e) {
            err.println("quant4j qat: --scheme: " + Safe.text(e.getMessage()));
            return 2;
        }
        if (!FashionMnist.present(dataDir)) {
            err.println("quant4j qat: " + Safe.text(FashionMnist.missingMessage(dataDir)));
            return 3;
        }
        FashionMnist.Data data;
        try {
            data = FashionMnist.load(dataDir);
        } catch (NoSuchFileException e) {
            err.println("quant4j qat: " + Safe.text(e.getReason() != null ? e.getReason() : e.getMessage()));
            return 3;
        } catch (IOException e) {
            err.println("quant4j qat: " + Safe.text(e.getMessage()));
            return 3;
        }
        Progress p = new Progress(err, progress != null ? progress : Progress.onTerminal());
        QatExperiment.Result result = QatExperiment.run(data, o, p);
        p.finish();
        if (json) {
            for (QatExperiment.Row r : result.rows()) {
                out.println(QatReport.jsonRow(r));
            }
        } else {
            out.print(QatReport.table(result));
        }
        if (report != null) {
            try {
                Files.writeString(report, QatReport.html(result));
            } catch (IOException e) {
                err.println(
                        "quant4j qat: cannot write " + Safe.text(report.toString()) + ": " + Safe.text(e.getMessage()));
                return 1;
            }
            err.println("quant4j qat: wrote " + Safe.text(report.toString()));
        }
        return 0;
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static int positive(String v, String option) {
        try {
            int n = Integer.parseInt(v);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(option + " takes a positive whole number, not '" + Safe.text(v) + "'");
    }

    /** Text from arguments or files, with control characters escaped before it reaches a terminal. */
    static final class Safe {
        private Safe() {}

        static String text(String s) {
            if (s == null) {
                return "";
            }
            StringBuilder b = new StringBuilder(s.length());
            s.codePoints().forEach(c -> {
                if (Character.isISOControl(c)
                        || c == 0x2028
                        || c == 0x2029
                        || Character.getType(c) == Character.FORMAT) {
                    b.append(String.format(Locale.ROOT, "\\u%04x", c));
                } else {
                    b.appendCodePoint(c);
                }
            });
            return b.toString();
        }
    }
}

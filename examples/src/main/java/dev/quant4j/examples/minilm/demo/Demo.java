package dev.quant4j.examples.minilm.demo;

import dev.quant4j.examples.minilm.HolderMiniLmModel;
import dev.quant4j.examples.minilm.MiniLmModel;
import dev.quant4j.examples.minilm.onnx.MiniLmLoader;
import dev.quant4j.examples.minilm.onnx.OnnxWeights;
import dev.quant4j.examples.minilm.text.WordPieceTokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./quant4j demo}: all-MiniLM-L6-v2, a sentence encoder nobody here trained, quantized with
 * several schemes through the generated visitors; each variant embeds the same sentences, and one table
 * shows what each scheme costs (bytes, heap) and what it keeps (cosine to float32, retrieval top-1).
 *
 * <p>Both ways users hold weights run: {@code holder} ({@link HolderMiniLmModel}, {@code QuantizableTensor}
 * fields, no agent) in this JVM, and {@code agent} ({@link MiniLmModel}, plain {@code float[]} fields kept
 * quantized by the Java agent) in a child JVM started with {@code -javaagent}.
 */
public final class Demo {

    private Demo() {}

    public static void main(String[] args) {
        PrintStream out =
                new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        if (DemoOptions.wantsHelp(args)) {
            out.print(DemoOptions.USAGE);
            return;
        }
        DemoOptions options;
        try {
            options = DemoOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("quant4j demo: " + e.getMessage());
            System.exit(2);
            return;
        }
        try {
            run(options, out);
        } catch (IOException | RuntimeException e) {
            System.err.println();
            System.err.println("quant4j demo: " + e.getMessage());
            if (System.getenv("QUANT4J_DEBUG") != null) {
                e.printStackTrace();
            }
            System.exit(1);
        }
    }

    static void run(DemoOptions options, PrintStream out) throws IOException {
        if (options.load() != null && !Files.isRegularFile(options.load())) {
            throw new IOException("--load " + options.load() + ": no such file (save models first with ./quant4j demo"
                    + " --save DIR, then load DIR/<scheme>.safetensors)");
        }
        List<String> all = Sentences.load();
        if (options.saveGguf() != null) {
            List<String> chosen = new ArrayList<>();
            for (int i : Sentences.evenSubset(all.size(), options.sentences())) {
                chosen.add(all.get(i));
            }
            GgufExport.run(options.saveGguf(), chosen, System.err);
            return;
        }
        WordPieceTokenizer tokenizer = MiniLmLoader.tokenizerFromClasspath();
        SavedModels.Reference reference = options.load() == null ? null : SavedModels.loadReference(options.load());
        List<Integer> indices =
                reference != null ? reference.indices() : Sentences.evenSubset(all.size(), options.sentences());
        List<int[]> tokenIds = new ArrayList<>();
        for (int i : indices) {
            if (i < 0 || i >= all.size()) {
                throw new IOException("the saved reference names sentence " + i + ", but there are only " + all.size());
            }
            tokenIds.add(tokenizer.encode(all.get(i)));
        }
        boolean bar = DemoProgress.barWanted(options.progress());

        if (options.child()) {
            // The agent-mode child: results as lines for the parent, nothing else on stdout.
            for (DemoResult r : runMode(
                    DemoMode.AGENT,
                    options,
                    tokenIds,
                    indices,
                    reference,
                    bar,
                    options.saveDir(),
                    new java.util.HashMap<>())) {
                out.println(AgentChild.RESULT_PREFIX + DemoReport.internalLine(r));
            }
            return;
        }

        if (options.load() == null
                && options.sentences() != Integer.MAX_VALUE
                && options.sentences() < all.size()
                && !options.json()) {
            System.err.printf(
                    Locale.ROOT,
                    "%d of the %d sentences (--sentences all for every one)%n",
                    indices.size(),
                    all.size());
        }
        List<DemoResult> results = new ArrayList<>();
        Map<String, ModeRunner.PlanRow> plans = new java.util.LinkedHashMap<>();
        boolean saved = false;
        for (DemoMode mode : options.modes()) {
            if (mode == DemoMode.HOLDER) {
                results.addAll(runMode(mode, options, tokenIds, indices, reference, bar, options.saveDir(), plans));
                saved = true;
            } else {
                List<String> childArgs = new ArrayList<>(options.childArguments());
                if (!saved && options.saveDir() != null) {
                    childArgs.addAll(List.of("--save", options.saveDir().toString()));
                }
                results.addAll(AgentChild.run(childArgs));
            }
        }

        String context = context(options, indices.size(), all.size(), results);
        if (options.json()) {
            out.println(DemoReport.json(results));
        } else {
            out.println();
            out.println(context);
            out.println();
            out.print(DemoReport.table(results));
            out.println();
            out.println(modesLine(results));
            out.println(
                    "weight bytes: every parameter as stored (quantized: packed codes + scales; biases, LayerNorm: f32).");
            out.println(
                    options.load() == null
                            ? "heap MiB: live heap after quantizing and a full GC, minus the live heap before the model was built."
                            : "heap MiB: live heap after loading and a full GC, minus the live heap before loading.");
            out.println("""
                    cos mean / min: cosine of each sentence's vector to its float32 vector. top-1: how often a sentence's
                    nearest neighbour among the others is the one float32 finds. ms/sent: wall time / sentences;
                    cpu ms: CPU time of the embedding threads / sentences (steadier when the machine is busy).""");
            printPlans(plans, options, out);
        }
        if (options.json()) {
            System.err.println(modesLine(results));
            printPlans(plans, options, System.err);
        }
        if (options.html() != null) {
            writeAtomically(options.html(), DemoReport.html(results, context));
            System.err.println("wrote " + options.html());
        }
        if (options.saveDir() != null) {
            System.err.println("saved the quantized models and the float32 reference vectors in " + options.saveDir()
                    + "; run one with ./quant4j demo --load "
                    + SavedModels.fileFor(
                            options.saveDir(),
                            options.schemes().get(options.schemes().size() - 1)));
        }
    }

    /** One mode in this JVM; the plans its plan rows ran with go into {@code plans}. */
    private static List<DemoResult> runMode(
            DemoMode mode,
            DemoOptions options,
            List<int[]> tokenIds,
            List<Integer> indices,
            SavedModels.Reference reference,
            boolean bar,
            Path saveDir,
            Map<String, ModeRunner.PlanRow> plans)
            throws IOException {
        int schemes = options.load() != null ? 1 : options.schemes().size();
        DemoProgress progress =
                new DemoProgress(System.err, bar, mode.text(), ModeRunner.workUnits(schemes, tokenIds.size()));
        ModeRunner runner = new ModeRunner(
                mode,
                tokenIds,
                options.threads(),
                progress,
                options.planCandidates(),
                options.planSentences(),
                options.sensitivity());
        try {
            if (options.load() != null) {
                return List.of(runner.loadAndRun(options.load(), reference.vectors()));
            }
            progress.step("reading the ONNX weights", false);
            OnnxWeights weights = MiniLmLoader.weightsFromClasspath();
            List<DemoResult> out = runner.quantizeAndRun(weights, options.schemes(), saveDir, indices);
            plans.putAll(runner.plans());
            return out;
        } finally {
            progress.finish();
        }
    }

    /**
     * Each plan: its size and calibration error, how many fields took each scheme, and the {@code @Quantize} and
     * {@code --rule} lines of the fields off its most common scheme ({@code Plan.annotationLines()} and
     * {@code ruleLines()} give every field's).
     */
    private static void printPlans(Map<String, ModeRunner.PlanRow> plans, DemoOptions options, PrintStream out) {
        for (Map.Entry<String, ModeRunner.PlanRow> e : plans.entrySet()) {
            dev.quant4j.plan.Plan plan = e.getValue().plan();
            Map<String, Integer> counts = new java.util.LinkedHashMap<>();
            for (dev.quant4j.plan.Plan.Choice c : plan.choices()) {
                counts.merge(c.scheme().toString(), 1, Integer::sum);
            }
            String common = java.util.Collections.max(counts.entrySet(), Map.Entry.comparingByValue())
                    .getKey();
            out.println();
            out.printf(
                    Locale.ROOT,
                    "%s: %.4f bits per weight; on %d calibration sentences (not measured above) mean"
                            + " 1 - cosine predicted %.3e, measured %.3e; fields: %s%n",
                    e.getKey(),
                    plan.bitsPerWeight(),
                    options.planSentences(),
                    plan.predictedError(),
                    e.getValue().calibrationError(),
                    counts.toString().replace("{", "").replace("}", ""));
            List<String> annotations = plan.annotationLines();
            List<String> rules = plan.ruleLines();
            for (int i = 0; i < plan.choices().size(); i++) {
                if (!plan.choices().get(i).scheme().toString().equals(common)) {
                    out.println("  " + annotations.get(i) + "    " + rules.get(i));
                }
            }
            out.println("  every other field: @Quantize(scheme = \"" + common + "\")");
        }
    }

    private static String modesLine(List<DemoResult> results) {
        Map<String, Boolean> agree = DemoReport.modesAgree(results);
        if (agree.isEmpty()) {
            return "(one mode only: nothing to compare between agent and holder)";
        }
        List<String> differ = new ArrayList<>();
        agree.forEach((scheme, same) -> {
            if (!same) {
                differ.add(scheme);
            }
        });
        return differ.isEmpty()
                ? "agent and holder gave bit-identical vectors for "
                        + (agree.size() == 1 ? "the scheme." : "all " + agree.size() + " schemes.")
                : "agent and holder vectors differ for: " + String.join(", ", differ);
    }

    private static String context(DemoOptions options, int sentences, int total, List<DemoResult> results) {
        int threads = results.isEmpty() ? options.threads() : results.getFirst().threads();
        String source =
                options.load() != null ? "loaded from " + options.load() : "quantized from the ONNX float32 weights";
        return String.format(
                Locale.ROOT,
                "all-MiniLM-L6-v2 (22.6M weights) %s; %d of %d sentences, %d thread%s; Java %s" + " on %s, %d cores",
                source,
                sentences,
                total,
                threads,
                threads == 1 ? "" : "s",
                Runtime.version(),
                cpuModel(),
                Runtime.getRuntime().availableProcessors());
    }

    /** The CPU's model name from /proc/cpuinfo, or the architecture where there is none. */
    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).strip();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }

    static void writeAtomically(Path file, String text) throws IOException {
        Path target = file.toAbsolutePath();
        Path tmp = target.resolveSibling(
                target.getFileName() + ".tmp" + ProcessHandle.current().pid());
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}

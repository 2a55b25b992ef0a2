package dev.quant4j.examples.minilm.demo;

import dev.quant4j.annotations.ActivationMode;
import dev.quant4j.annotations.Calibration;
import dev.quant4j.calibrate.InputStatistics;
import dev.quant4j.examples.minilm.DefaultScheme;
import dev.quant4j.examples.minilm.EmbeddingErrorFeedback;
import dev.quant4j.examples.minilm.EncoderModel;
import dev.quant4j.examples.minilm.HolderMiniLmModel;
import dev.quant4j.examples.minilm.InputRecorder;
import dev.quant4j.examples.minilm.LayerNormImportance;
import dev.quant4j.examples.minilm.MiniLmConfig;
import dev.quant4j.examples.minilm.MiniLmModel;
import dev.quant4j.examples.minilm.SentenceEncoder;
import dev.quant4j.examples.minilm.onnx.MiniLmLoader;
import dev.quant4j.examples.minilm.onnx.OnnxWeights;
import dev.quant4j.examples.minilm.text.WordPieceTokenizer;
import dev.quant4j.fields.QuantizedFields;
import dev.quant4j.kernels.Kernels;
import dev.quant4j.model.ActivationCalibrator;
import dev.quant4j.model.Quantization;
import dev.quant4j.model.WeightField;
import dev.quant4j.model.WeightQuantizer;
import dev.quant4j.plan.Plan;
import dev.quant4j.plan.Planner;
import dev.quant4j.plan.Sensitivity;
import dev.quant4j.quantize.Quantizer;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs the demo's work for one mode in this JVM: per scheme, build the model, quantize it through the
 * generated visitors, measure its heap, embed the sentences and compare them with float32.
 *
 * <p>{@code holder} builds {@link HolderMiniLmModel}; {@code agent} builds {@link MiniLmModel} and needs
 * the Java agent in this JVM (the demo starts a child JVM with it).
 */
final class ModeRunner {

    /** Sentences embedded (twice) before anything is timed, so the JIT has compiled the hot loops. */
    private static final int WARM_UP_SENTENCES = 12;

    /**
     * How many random sequences a {@code @random} row records on: as many as the calibration sentences (70, about
     * 1,100 tokens). Measured on 100 of the demo sentences, q4f:block32:f16:gptq@random: 70 give cosine mean / min
     * 0.9802 / 0.896, 210 give 0.9815 / 0.875.
     */
    static final int RANDOM_SEQUENCES = 70;

    private final DemoMode mode;
    private final List<int[]> tokenIds;
    private final int threads;
    private final DemoProgress progress;
    /** Input statistics for the IMATRIX and GPTQ schemes, recorded once per run on the calibration sentences. */
    private InputStatistics statistics;
    /** What the plan rows choose from, and on how many calibration sentences their sensitivity is measured. */
    private final List<QuantScheme> planCandidates;

    private final int planSentences;
    private final boolean printSensitivity;
    /** The sensitivity of every field, measured once per run for the plan rows. */
    private Sensitivity sensitivity;
    /** Each plan row's plan, by row name, with what it measured on the calibration sentences. */
    private final Map<String, PlanRow> plans = new java.util.LinkedHashMap<>();

    /** A plan row's plan and its error (mean 1 - cosine) on the sensitivity's calibration sentences, measured. */
    record PlanRow(Plan plan, double calibrationError) {}

    ModeRunner(DemoMode mode, List<int[]> tokenIds, int threads, DemoProgress progress) {
        this(
                mode,
                tokenIds,
                threads,
                progress,
                DemoOptions.DEFAULT_PLAN_CANDIDATES,
                DemoOptions.DEFAULT_PLAN_SENTENCES,
                false);
    }

    ModeRunner(
            DemoMode mode,
            List<int[]> tokenIds,
            int threads,
            DemoProgress progress,
            List<String> planCandidates,
            int planSentences,
            boolean printSensitivity) {
        this.mode = java.util.Objects.requireNonNull(mode, "mode");
        this.tokenIds = tokenIds;
        this.threads = threads;
        this.progress = progress;
        this.planCandidates = planCandidates.stream().map(QuantScheme::parse).toList();
        this.planSentences = planSentences;
        this.printSensitivity = printSensitivity;
    }

    /** The plans the plan rows ran with, by row name (empty before {@link #quantizeAndRun}, or without plan rows). */
    Map<String, PlanRow> plans() {
        return java.util.Collections.unmodifiableMap(plans);
    }

    /** Work units {@link #quantizeAndRun} reports to the progress bar for this many schemes. */
    static long workUnits(int schemes, int sentences) {
        return (long) schemes * (sentences + 2L * sentences / 10 + 1) + 2L * WARM_UP_SENTENCES;
    }

    /**
     * Every scheme, from the ONNX weights. The f32 row comes first and is the reference of the others.
     *
     * @param saveDir   when not null, each quantized model is saved there, with the float32 vectors
     * @param indices   the sentences' line numbers, recorded with the saved reference vectors
     */
    List<DemoResult> quantizeAndRun(OnnxWeights weights, List<String> schemes, Path saveDir, List<Integer> indices)
            throws IOException {
        requireAgentIfNeeded();
        MiniLmConfig config = MiniLmLoader.config(weights);
        long f32Bytes = 4 * config.parameters();
        warmUp(weights);
        initializeQuantization(schemes);
        if (schemes.stream().anyMatch(this::needsStatistics)) {
            progress.step("recording input statistics on the calibration sentences", false);
            // GPTQ needs the whole second moment of each layer's inputs; IMATRIX only its diagonal.
            boolean gptq = schemes.stream()
                    .anyMatch(s -> needsStatistics(s)
                            && (DemoOptions.isPlan(s)
                                    ? planCandidates.stream().anyMatch(c -> c.calibration() == Calibration.GPTQ)
                                    : QuantScheme.parse(s).calibration() == Calibration.GPTQ));
            statistics = InputRecorder.record(
                    build(weights),
                    weightCalibrationTokenIds(),
                    gptq ? InputStatistics.withSecondMoments() : new InputStatistics());
        }
        List<DemoResult> results = new ArrayList<>();
        float[][] reference = null;
        for (String scheme : schemes) {
            if (mode == DemoMode.AGENT
                    && (DemoOptions.activationsOf(scheme) != ActivationMode.NONE || DemoOptions.isPlan(scheme))) {
                continue; // agent mode keeps float[] fields and float32 activations; plans run in holder mode
            }
            if (DemoOptions.isPlan(scheme) && !plans.containsKey(scheme)) {
                plans.put(scheme, plan(weights, DemoOptions.planBudget(scheme)));
            }
            SchemeRun run = runScheme(weights, scheme, saveDir, reference, f32Bytes);
            if (scheme.equals(DemoOptions.F32)) {
                reference = run.vectors();
                if (saveDir != null) {
                    Files.createDirectories(saveDir);
                    SavedModels.saveReference(saveDir, indices, reference);
                }
            }
            DemoResult r = run.result();
            results.add(r);
            progress.step(
                    String.format(
                            java.util.Locale.ROOT,
                            "%s: cosine mean %.6f, min %.6f, top-1 %.3f, %.1f ms" + "/sentence",
                            scheme,
                            r.cosineMean(),
                            r.cosineMin(),
                            r.top1Agreement(),
                            r.msPerSentence()),
                    true);
        }
        return results;
    }

    private record SchemeRun(DemoResult result, float[][] vectors) {}

    /** True for a scheme whose calibration uses input statistics (IMATRIX, GPTQ), or a plan with such candidates. */
    private boolean needsStatistics(String scheme) {
        if (DemoOptions.isPlan(scheme)) {
            return planCandidates.stream()
                    .anyMatch(c -> c.calibration() == Calibration.IMATRIX || c.calibration() == Calibration.GPTQ);
        }
        return usesStatistics(scheme);
    }

    /** True for a scheme (not a plan) whose calibration uses input statistics (IMATRIX, GPTQ). */
    static boolean usesStatistics(String scheme) {
        if (scheme.equals(DemoOptions.F32)
                || scheme.equals(DemoOptions.ANNOTATED)
                || DemoOptions.isPlan(scheme)
                || !DemoOptions.sourceOf(scheme).isEmpty()) {
            return false; // a @layernorm or @random row's statistics are not the calibration sentences' recording
        }
        Calibration c = QuantScheme.parse(scheme).calibration();
        return c == Calibration.IMATRIX || c == Calibration.GPTQ;
    }

    /**
     * Synthetic input, no text: {@link #RANDOM_SEQUENCES} sequences of 8 to 24 token ids drawn uniformly (seed 15)
     * from the vocabulary above its special and unused entries, each between the tokenizer's own first and last
     * (CLS, SEP) ids.
     */
    static List<int[]> randomTokenIds() throws IOException {
        WordPieceTokenizer tokenizer = MiniLmLoader.tokenizerFromClasspath();
        int[] frame = tokenizer.encode("");
        int first = 999; // bert-base-uncased: ids below are [PAD], [unused*], [UNK], [CLS], [SEP], [MASK]
        java.util.Random random = new java.util.Random(15);
        List<int[]> out = new ArrayList<>();
        for (int s = 0; s < RANDOM_SEQUENCES; s++) {
            int n = 8 + random.nextInt(17);
            int[] ids = new int[n + 2];
            ids[0] = frame[0];
            ids[n + 1] = frame[frame.length - 1];
            for (int t = 1; t <= n; t++) {
                ids[t] = first + random.nextInt(tokenizer.vocabSize() - first);
            }
            out.add(ids);
        }
        return out;
    }

    /** The calibration sentences' token ids (none of them is a sentence the demo measures). */
    static List<int[]> calibrationTokenIds() throws IOException {
        WordPieceTokenizer tokenizer = MiniLmLoader.tokenizerFromClasspath();
        List<int[]> out = new ArrayList<>();
        for (String sentence : Sentences.load(Sentences.CALIBRATION_RESOURCE)) {
            out.add(tokenizer.encode(sentence));
        }
        return out;
    }

    /**
     * The token ids the weights' input statistics are recorded on: the calibration sentences and the weight
     * calibration sentences ({@link Sentences#WEIGHT_CALIBRATION_RESOURCE}); none of them is measured.
     */
    static List<int[]> weightCalibrationTokenIds() throws IOException {
        WordPieceTokenizer tokenizer = MiniLmLoader.tokenizerFromClasspath();
        List<int[]> out = new ArrayList<>(calibrationTokenIds());
        for (String sentence : Sentences.load(Sentences.WEIGHT_CALIBRATION_RESOURCE)) {
            out.add(tokenizer.encode(sentence));
        }
        return out;
    }

    /**
     * One scheme, start to end. The model exists only inside this method: when it returns, nothing refers
     * to it any more (a local of a still-running loop could keep it alive through the next baseline).
     *
     * @param reference the float32 vectors; null for f32 itself, which is its own reference
     */
    private SchemeRun runScheme(OnnxWeights weights, String scheme, Path saveDir, float[][] reference, long f32Bytes)
            throws IOException {
        boolean f32 = scheme.equals(DemoOptions.F32);
        if (!f32 && reference == null) {
            throw new IllegalStateException("f32 must run first: it is the reference");
        }
        progress.step(scheme + ": building the model", false);
        awaitAgentStoreEmpty();
        long before = HeapMeter.liveHeap();
        SentenceEncoder model = build(weights);
        progress.step(scheme + ": quantizing", false);
        long start = System.nanoTime();
        if (scheme.equals(DemoOptions.ANNOTATED)) {
            Quantization.quantizeWeights(model); // each field with its own @Quantize scheme
        } else if (DemoOptions.isPlan(scheme)) {
            // Each field with its plan's scheme, through the same API (and calibrations) as every other row.
            // The tensors the sensitivity quantized are given back for the same weights: nothing is quantized again.
            plans.get(scheme)
                    .plan()
                    .apply(
                            model,
                            sensitivity.quantizer(WeightQuantizer.calibrated(Kernels.active(), null, statistics)));
        } else if (DemoOptions.isLayerNormRow(scheme)) {
            // Data-free: the imatrix search weighted by importances from the float32 model's own LayerNorms.
            QuantScheme parsed = QuantScheme.parse(DemoOptions.schemeText(scheme));
            InputStatistics fromLayerNorms =
                    LayerNormImportance.of((EncoderModel) model, parsed.calibration() == Calibration.GPTQ);
            Quantization.quantizeWeights(model, uniformOnLayers(model, parsed, fromLayerNorms));
        } else if (DemoOptions.sourceOf(scheme).equals(DemoOptions.RANDOM)) {
            QuantScheme parsed = QuantScheme.parse(DemoOptions.schemeText(scheme));
            InputStatistics random = InputRecorder.record(
                    model,
                    randomTokenIds(),
                    parsed.calibration() == Calibration.GPTQ
                            ? InputStatistics.withSecondMoments()
                            : new InputStatistics());
            Quantization.quantizeWeights(model, uniformOnLayers(model, parsed, random));
        } else if (!f32) {
            // One scheme for every field; IMATRIX and GPTQ use each linear layer's input statistics.
            Quantization.quantizeWeights(model, uniformOnLayers(model, QuantScheme.parse(scheme), statistics));
        }
        if (DemoOptions.activationsOf(scheme) == ActivationMode.STATIC) {
            progress.step(scheme + ": calibrating activations", false);
            calibrate((HolderMiniLmModel) model);
        }
        double quantizeSeconds = (System.nanoTime() - start) / 1e9;
        long heap = HeapMeter.liveHeap() - before;
        requireAgentCacheEmpty(scheme);
        progress.advance(tokenIds.size() / 10 + 1);
        long weightBytes = weightBytes(model);
        if (saveDir != null && !f32 && DemoOptions.activationsOf(scheme) == ActivationMode.NONE) {
            progress.step(scheme + ": saving", false);
            Files.createDirectories(saveDir);
            SavedModels.save(model, SavedModels.fileFor(saveDir, scheme));
        }
        // Each row's own kernels are compiled before it is timed (a row timed right after another model's
        // warm-up would include the JIT's time for the kernels only it uses).
        warmUpOn(model, false);
        progress.step(scheme + ": embedding " + tokenIds.size() + " sentences", false);
        long runStart = System.nanoTime();
        Embedded embedded = embedAll(model);
        float[][] vectors = embedded.vectors();
        double ms = (System.nanoTime() - runStart) / 1e6 / tokenIds.size();
        progress.advance(tokenIds.size() / 10);
        DemoResult r = result(
                scheme,
                weightBytes,
                f32Bytes,
                heap,
                vectors,
                f32 ? vectors : reference,
                ms,
                embedded.cpuNanos() / 1e6 / tokenIds.size(),
                quantizeSeconds);
        return new SchemeRun(r, vectors);
    }

    /**
     * The one scheme for every weight, except that the embedding tables take only its weight part: they are
     * gathered, not multiplied, so an activation part (a8dyn, a8static) means nothing there, and a static
     * one would ask for a calibration scale no layer records. With GPTQ, the error feedback GPTQ does within a
     * layer also runs across the summed tables: the token-type row's error goes into the position table
     * ({@link EmbeddingErrorFeedback}).
     */
    private static WeightQuantizer uniformOnLayers(
            SentenceEncoder model, QuantScheme scheme, InputStatistics statistics) {
        WeightQuantizer layers = WeightQuantizer.calibrated(Kernels.active(), scheme, statistics);
        WeightQuantizer plainTables = WeightQuantizer.calibrated(
                Kernels.active(),
                scheme.withActivations(ActivationMode.NONE)
                        .withActivationCalibration(dev.quant4j.annotations.ActivationCalibration.NONE),
                statistics);
        WeightQuantizer tables = scheme.calibration() == Calibration.GPTQ && model instanceof EncoderModel encoder
                ? EmbeddingErrorFeedback.of(encoder, plainTables)
                : plainTables;
        return (path, weights, declared) ->
                (path.startsWith("embeddings.") ? tables : layers).quantize(path, weights, declared);
    }

    /**
     * prepare -> calibrate -> convert for a model whose weights have static activations: the calibration
     * sentences ({@link Sentences#CALIBRATION_RESOURCE}, none of them measured) run through the model on this
     * thread with float32 activations while the observers record each static layer's input; their frozen
     * scales are then set on the model.
     */
    private static void calibrate(HolderMiniLmModel model) throws IOException {
        ActivationCalibrator calibrator = ActivationCalibrator.forModel(model);
        model.calibrating(calibrator);
        try {
            for (int[] ids : calibrationTokenIds()) {
                model.embed(ids);
            }
        } finally {
            model.calibrating(null);
        }
        model.activationScales(calibrator.freeze());
    }

    /**
     * The plan for at most {@code bitsPerWeight}: on the first call the sensitivity of every field to every candidate
     * is measured on {@link #planSentences} of the calibration sentences (none of them measured by the demo; the error
     * is the mean of 1 - cosine to the float32 vectors, one forward pass over them per field and candidate), then the
     * planner chooses, and the combined plan is measured once on the same sentences.
     */
    private PlanRow plan(OnnxWeights weights, double bitsPerWeight) throws IOException {
        SentenceEncoder model = build(weights);
        List<int[]> all = calibrationTokenIds();
        List<int[]> ids = new ArrayList<>();
        for (int i : Sentences.evenSubset(all.size(), planSentences)) {
            ids.add(all.get(i));
        }
        float[][] reference = embedAll(model, ids).vectors();
        dev.quant4j.plan.OutputError error = () -> {
            double[] cos = Quality.cosines(embedAll(model, ids).vectors(), reference);
            double sum = 0;
            for (double c : cos) {
                sum += 1 - c;
            }
            return sum / cos.length;
        };
        WeightQuantizer quantizer = WeightQuantizer.calibrated(Kernels.active(), null, statistics);
        if (sensitivity == null) {
            progress.step(
                    "plans: measuring each field's sensitivity to " + planCandidates.size() + " schemes on "
                            + ids.size() + " calibration sentences",
                    false);
            AtomicInteger done = new AtomicInteger();
            sensitivity = Sensitivity.measure(model, planCandidates, quantizer, error, line -> {
                if (done.getAndIncrement() % 10 == 0) {
                    progress.step("plans: " + line, false);
                }
            });
            if (printSensitivity) {
                System.err.println();
                System.err.print(sensitivity);
            }
        }
        Plan plan = Planner.forBudget(sensitivity, bitsPerWeight);
        double measured = Sensitivity.measure(model, plan, sensitivity.quantizer(quantizer), error);
        progress.step(
                String.format(
                        java.util.Locale.ROOT,
                        "plan%s: %.4f bits per weight, calibration error predicted" + " %.3e, measured %.3e",
                        bitsPerWeight,
                        plan.bitsPerWeight(),
                        plan.predictedError(),
                        measured),
                true);
        return new PlanRow(plan, measured);
    }

    /** A saved model, loaded without ever building its float32 weights, against the saved reference vectors. */
    DemoResult loadAndRun(Path file, float[][] reference) throws IOException {
        requireAgentIfNeeded();
        progress.step("loading " + file.getFileName(), false);
        awaitAgentStoreEmpty();
        long before = HeapMeter.liveHeap();
        long start = System.nanoTime();
        SavedModels.Header header = SavedModels.header(file);
        SentenceEncoder model = SavedModels.load(file, mode);
        MiniLmConfig config = header.config();
        String scheme = header.scheme();
        double loadSeconds = (System.nanoTime() - start) / 1e9;
        long heap = HeapMeter.liveHeap() - before;
        requireAgentCacheEmpty(scheme);
        warmUpOn(model);
        long weightBytes = weightBytes(model);
        progress.step(scheme + ": embedding " + tokenIds.size() + " sentences", false);
        long runStart = System.nanoTime();
        Embedded embedded = embedAll(model);
        double ms = (System.nanoTime() - runStart) / 1e6 / tokenIds.size();
        DemoResult r = result(
                scheme,
                weightBytes,
                4 * config.parameters(),
                heap,
                embedded.vectors(),
                reference,
                ms,
                embedded.cpuNanos() / 1e6 / tokenIds.size(),
                loadSeconds);
        progress.step(
                String.format(
                        java.util.Locale.ROOT,
                        "%s (loaded): cosine mean %.6f, min %.6f, top-1 %.3f",
                        scheme,
                        r.cosineMean(),
                        r.cosineMin(),
                        r.top1Agreement()),
                true);
        return r;
    }

    private DemoResult result(
            String scheme,
            long weightBytes,
            long f32Bytes,
            long heap,
            float[][] vectors,
            float[][] reference,
            double ms,
            double cpuMs,
            double quantizeSeconds) {
        double[] cos = Quality.cosines(vectors, reference);
        double sum = 0;
        double min = Double.POSITIVE_INFINITY;
        for (double c : cos) {
            sum += c;
            min = Math.min(min, c);
        }
        PlanRow plan = plans.get(scheme);
        String calibration = plan == null ? DemoReport.calibration(scheme) : calibrations(plan.plan());
        return new DemoResult(
                scheme,
                mode,
                weightBytes,
                (double) weightBytes / f32Bytes,
                heap,
                sum / cos.length,
                min,
                Quality.top1Agreement(vectors, reference),
                ms,
                cpuMs,
                threads,
                vectors.length,
                quantizeSeconds,
                digest(vectors),
                calibration);
    }

    /** The calibrations a plan's schemes use, in the order first chosen, joined with '+': {@code gptq+minmax}. */
    static String calibrations(Plan plan) {
        java.util.Set<String> out = new java.util.LinkedHashSet<>();
        for (Plan.Choice c : plan.choices()) {
            String t = QuantScheme.token(c.scheme().calibration());
            out.add(t == null ? "minmax" : t);
        }
        return String.join("+", out);
    }

    SentenceEncoder build(OnnxWeights weights) {
        return MiniLmLoader.load(weights, mode::emptyModel);
    }

    /** Every parameter as the model holds it now: packed codes plus scales, or 4 bytes per float. */
    static long weightBytes(Object model) {
        long bytes = 0;
        for (WeightField f : Quantization.fields(model)) {
            bytes += f.byteSize();
        }
        return bytes;
    }

    /**
     * Loads and initialises, before the first heap baseline, what quantizing loads on first use (the
     * generated visitors, the kernels' tables), so that no scheme's heap figure carries those one-time
     * statics (a few hundred kB).
     */
    private void initializeQuantization(List<String> schemes) {
        MiniLmConfig tiny = new MiniLmConfig(1, 1, 1, 32, 1, 32, 1);
        Quantization.fields(new HolderMiniLmModel(tiny));
        Quantization.fields(new MiniLmModel(tiny));
        FloatTensor small = FloatTensor.of(new float[2 * 64], 2, 64);
        for (String scheme : schemes) {
            if (!scheme.equals(DemoOptions.F32)
                    && !scheme.equals(DemoOptions.ANNOTATED)
                    && !DemoOptions.isPlan(scheme)
                    && DemoOptions.sourceOf(scheme).isEmpty()
                    && !usesStatistics(scheme)) {
                new Quantizer(QuantScheme.parse(scheme))
                        .quantize("warm-up", small)
                        .dequantize();
            }
        }
        new Quantizer(QuantScheme.parse(DefaultScheme.EMBEDDINGS)).quantize("warm-up", small);
        new Quantizer(QuantScheme.parse(DefaultScheme.LAYERS)).quantize("warm-up", small);
    }

    private void warmUp(OnnxWeights weights) {
        progress.step("warming up the JIT", false);
        warmUpOn(build(weights));
    }

    private void warmUpOn(SentenceEncoder model) {
        warmUpOn(model, true);
    }

    private void warmUpOn(SentenceEncoder model, boolean showProgress) {
        int n = Math.min(WARM_UP_SENTENCES, tokenIds.size());
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < n; i++) {
                model.embed(tokenIds.get(i));
                if (showProgress) {
                    progress.advance(1);
                }
            }
        }
    }

    /** Vectors of all sentences, and the CPU time the threads spent on them. */
    record Embedded(float[][] vectors, long cpuNanos) {}

    /** The measured sentences' vectors, embedded by {@code threads} threads taking sentences in turn. */
    Embedded embedAll(SentenceEncoder model) {
        return embedAll(model, tokenIds);
    }

    /** These sentences' vectors, embedded by {@code threads} threads taking sentences in turn. */
    Embedded embedAll(SentenceEncoder model, List<int[]> tokenIds) {
        ParallelEmbedding.Result r = ParallelEmbedding.embed(
                tokenIds,
                threads,
                "demo-embed",
                model::embed,
                tokenIds == this.tokenIds ? () -> progress.advance(1) : null);
        return new Embedded(r.vectors(), r.cpuNanos());
    }

    /** SHA-256 over the vectors' float bits, in order: equal digests mean bit-identical vectors. */
    static String digest(float[][] vectors) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (float[] v : vectors) {
                for (float x : v) {
                    int b = Float.floatToRawIntBits(x);
                    sha.update((byte) b);
                    sha.update((byte) (b >>> 8));
                    sha.update((byte) (b >>> 16));
                    sha.update((byte) (b >>> 24));
                }
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private void requireAgentIfNeeded() {
        if (mode == DemoMode.AGENT && !QuantizedFields.agentActive()) {
            throw new IllegalStateException("agent mode needs the Java agent in this JVM: start it with"
                    + " -javaagent:agent/target/quant4j-agent.jar (./quant4j demo does)");
        }
    }

    /**
     * Under the agent, waits until the store has let go of the previous model: its entries are dropped
     * when the collector has cleared the (weak) owner and the store next looks, and until then the
     * dequantized arrays it cached would be counted in the next model's baseline.
     */
    private void awaitAgentStoreEmpty() {
        if (mode != DemoMode.AGENT) {
            return;
        }
        for (int i = 0; i < 100; i++) {
            HeapMeter.liveHeap();
            Map<String, Object> status = QuantizedFields.status(); // also drops entries of collected owners
            if (number(status, "quantizedFields") == 0 && number(status, "cachedBytes") == 0) {
                return;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        throw new IllegalStateException(
                "the agent's store still holds the previous model: " + QuantizedFields.status());
    }

    /** heap_bytes must not count dequantized copies: right after quantizing, the agent has handed out none. */
    private void requireAgentCacheEmpty(String scheme) {
        if (mode != DemoMode.AGENT) {
            return;
        }
        long cached = number(QuantizedFields.status(), "cachedBytes");
        if (cached != 0) {
            throw new IllegalStateException("after quantizing with " + scheme + " the agent's cache already holds "
                    + cached + " bytes of dequantized weights, so the heap measured would include them");
        }
    }

    private static long number(Map<String, Object> status, String key) {
        Object v = status.get(key);
        return v instanceof Number n ? n.longValue() : 0;
    }
}

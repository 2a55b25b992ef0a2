package dev.quant4j.benchmarks;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.quant4j.annotations.ActivationMode;
import dev.quant4j.examples.minilm.HolderMiniLmModel;
import dev.quant4j.examples.minilm.demo.ParallelEmbedding;
import dev.quant4j.examples.minilm.demo.Sentences;
import dev.quant4j.examples.minilm.onnx.MiniLmLoader;
import dev.quant4j.examples.minilm.onnx.OnnxWeights;
import dev.quant4j.examples.minilm.text.WordPieceTokenizer;
import dev.quant4j.kernels.Gemm;
import dev.quant4j.model.Quantization;
import dev.quant4j.model.WeightQuantizer;
import dev.quant4j.quantize.Quantizer;
import dev.quant4j.scheme.QuantScheme;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Our MiniLM next to what a Java developer picks instead: LangChain4j's all-MiniLM-L6-v2 float32 and
 * int8 ({@code -q}) ONNX models on ONNX Runtime, in the same JVM, on the same token ids (our WordPiece
 * tokenizer; it gives the ids LangChain4j's gives, and tokenizing is timed on neither side), pooled and
 * normalised the way LangChain4j does it.
 *
 * <p>Per thread count: every encoder is warmed up on all sentences, then passes run the encoders in turn
 * (so a change in the machine's load touches all of them), each pass embedding every sentence with T
 * caller threads taking sentences from a shared counter. ONNX Runtime: one intra-op thread, spinning off,
 * sequential execution, one session per model shared by the callers (the way two threads use one
 * LangChain4j model). Ours: the kernels on the calling thread. Reported: the median over passes of
 * wall ms per sentence and of CPU ms per sentence (the callers' CPU time, steadier on a shared machine),
 * the cosine of each vector to ONNX Runtime's float32 vector, and the speed ratios within the run.
 *
 * <p>Run: {@code benchmarks/compare-with-onnxruntime.sh [--passes N] [--sentences N] [--threads 1,2]}.
 */
public final class OnnxRuntimeComparison {

    private interface Encoder {
        float[] embed(int[] ids) throws Exception;
    }

    private record Row(String name, String activations, Encoder encoder) {}

    private OnnxRuntimeComparison() {}

    public static void main(String[] args) throws Exception {
        int passes = 5;
        int sentenceCount = Integer.MAX_VALUE;
        int[] threadCounts = {1, 2};
        List<String> schemes = List.of("f32", "q8s:block32:a8dyn", "q4f:block32:f16:a8dyn", "q8s:block32");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--passes" -> passes = Integer.parseInt(args[++i]);
                case "--sentences" -> sentenceCount = Integer.parseInt(args[++i]);
                case "--threads" ->
                    threadCounts = Arrays.stream(args[++i].split(","))
                            .mapToInt(Integer::parseInt)
                            .toArray();
                case "--schemes" -> schemes = List.of(args[++i].split(","));
                default ->
                    throw new IllegalArgumentException("unknown argument " + args[i]
                            + "; use --passes N, --sentences N, --threads 1,2, --schemes A,B");
            }
        }
        WordPieceTokenizer tokenizer = MiniLmLoader.tokenizerFromClasspath();
        List<String> sentences = Sentences.load();
        sentences = sentences.subList(0, Math.min(sentenceCount, sentences.size()));
        List<int[]> ids = new ArrayList<>();
        long tokens = 0;
        for (String s : sentences) {
            int[] t = tokenizer.encode(s);
            ids.add(t);
            tokens += t.length;
        }

        OrtEnvironment env = OrtEnvironment.getEnvironment();
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("ORT float32", "none", ort(env, "all-minilm-l6-v2.onnx")));
        rows.add(new Row("ORT -q (int8)", "dynamic", ort(env, "all-minilm-l6-v2-q.onnx")));
        OnnxWeights weights = MiniLmLoader.weightsFromClasspath();
        for (String text : schemes) {
            HolderMiniLmModel model = MiniLmLoader.holderModel(weights);
            ActivationMode activations = ActivationMode.NONE;
            if (!text.equals("f32")) {
                QuantScheme scheme = QuantScheme.parse(text).validate();
                activations = scheme.activations();
                // The weights' scheme carries the activation mode; the holder's linear layers read it.
                Quantization.quantizeWeights(model, WeightQuantizer.uniform(new Quantizer(scheme)));
            }
            rows.add(new Row("quant4j " + text, activations.name().toLowerCase(Locale.ROOT), model::embed));
        }
        weights = null;

        System.out.printf(
                Locale.ROOT,
                "%d sentences, %.1f tokens on average; %s; Java %s on %s, %d processors; "
                        + "kernels %s; %d passes per thread count after a warm-up pass%n",
                ids.size(),
                (double) tokens / ids.size(),
                "ONNX Runtime " + ortVersion(),
                Runtime.version(),
                cpuName(),
                Runtime.getRuntime().availableProcessors(),
                Gemm.active().name(),
                passes);
        float[][] reference = null;
        for (int threads : threadCounts) {
            double[][] wall = new double[rows.size()][passes];
            double[][] cpu = new double[rows.size()][passes];
            float[][][] vectors = new float[rows.size()][][];
            for (int r = 0; r < rows.size(); r++) {
                vectors[r] = run(rows.get(r).encoder(), ids, threads, null); // warm-up, and the vectors
            }
            for (int p = 0; p < passes; p++) {
                for (int r = 0; r < rows.size(); r++) {
                    double[] wc = new double[2];
                    run(rows.get(r).encoder(), ids, threads, wc);
                    wall[r][p] = wc[0] / ids.size();
                    cpu[r][p] = wc[1] / ids.size();
                }
            }
            if (reference == null) {
                reference = vectors[0];
            }
            double ortQ = median(wall[1]);
            double ortF = median(wall[0]);
            double ortQcpu = median(cpu[1]);
            System.out.printf(
                    Locale.ROOT,
                    "%n%d thread%s (load average at the end %.2f)%n",
                    threads,
                    threads == 1 ? "" : "s",
                    ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
            System.out.println(
                    "| model | activations | ms/sentence (median) | range | cpu ms/sentence | cosine to ORT f32"
                            + " mean / min | speed vs ORT -q | speed vs ORT f32 | cpu speed vs ORT -q |");
            System.out.println("|---|---|---|---|---|---|---|---|---|");
            for (int r = 0; r < rows.size(); r++) {
                double[] cos = cosines(vectors[r], reference);
                double w = median(wall[r]);
                double[] sorted = wall[r].clone();
                Arrays.sort(sorted);
                System.out.printf(
                        Locale.ROOT,
                        "| %s | %s | %.2f | %.2f-%.2f | %.2f | %.6f / %.6f | %.2fx | %.2fx | %.2fx |%n",
                        rows.get(r).name(),
                        rows.get(r).activations(),
                        w,
                        sorted[0],
                        sorted[sorted.length - 1],
                        median(cpu[r]),
                        cos[0],
                        cos[1],
                        ortQ / w,
                        ortF / w,
                        ortQcpu / median(cpu[r]));
            }
        }
    }

    /** One session per model, one intra-op thread, no spinning: the caller's thread does the work. */
    private static Encoder ort(OrtEnvironment env, String resource) throws IOException, OrtException {
        byte[] model;
        try (InputStream in = OnnxRuntimeComparison.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("class path resource '" + resource + "' not found: it comes with LangChain4j's "
                        + "all-minilm-l6-v2 artifacts (run through benchmarks/compare-with-onnxruntime.sh)");
            }
            model = in.readAllBytes();
        }
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(1);
        options.setInterOpNumThreads(1);
        options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        options.addConfigEntry("session.intra_op.allow_spinning", "0");
        options.addConfigEntry("session.inter_op.allow_spinning", "0");
        OrtSession session = env.createSession(model, options);
        boolean types = session.getInputNames().contains("token_type_ids");
        return ids -> {
            int n = ids.length;
            long[][] input = new long[1][n];
            long[][] mask = new long[1][n];
            long[][] type = new long[1][n];
            for (int i = 0; i < n; i++) {
                input[0][i] = ids[i];
                mask[0][i] = 1;
            }
            try (OnnxTensor a = OnnxTensor.createTensor(env, input);
                    OnnxTensor b = OnnxTensor.createTensor(env, mask);
                    OnnxTensor c = OnnxTensor.createTensor(env, type)) {
                Map<String, OnnxTensor> in = types
                        ? Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c)
                        : Map.of("input_ids", a, "attention_mask", b);
                try (OrtSession.Result result = session.run(in)) {
                    float[][] hidden = ((float[][][]) result.get(0).getValue())[0];
                    return meanPoolNormalized(hidden);
                }
            }
        };
    }

    /** LangChain4j's post-processing: the plain mean over all tokens, then divide by the float L2 norm. */
    private static float[] meanPoolNormalized(float[][] hidden) {
        int d = hidden[0].length;
        float[] mean = new float[d];
        for (float[] token : hidden) {
            for (int i = 0; i < d; i++) {
                mean[i] += token[i];
            }
        }
        float sum = 0f;
        for (int i = 0; i < d; i++) {
            mean[i] /= hidden.length;
            sum += mean[i] * mean[i];
        }
        float norm = (float) Math.sqrt(sum);
        for (int i = 0; i < d; i++) {
            mean[i] /= norm;
        }
        return mean;
    }

    /**
     * Every sentence once, by {@code threads} caller threads taking sentences in turn.
     *
     * @param wallCpu when not null, receives the wall and the summed thread CPU time in ms
     */
    private static float[][] run(Encoder encoder, List<int[]> ids, int threads, double[] wallCpu) {
        ParallelEmbedding.Result r;
        try {
            r = ParallelEmbedding.embed(ids, threads, "compare", encoder::embed, null);
        } catch (Exception | Error e) {
            throw new IllegalStateException("an encoder failed", e);
        }
        if (wallCpu != null) {
            wallCpu[0] = r.wallNanos() / 1e6;
            wallCpu[1] = r.cpuNanos() / 1e6;
        }
        return r.vectors();
    }

    /** Mean and minimum cosine of each vector to its reference. */
    private static double[] cosines(float[][] vectors, float[][] reference) {
        double sum = 0;
        double min = Double.POSITIVE_INFINITY;
        for (int i = 0; i < vectors.length; i++) {
            double dot = 0;
            double a = 0;
            double b = 0;
            for (int k = 0; k < vectors[i].length; k++) {
                dot += (double) vectors[i][k] * reference[i][k];
                a += (double) vectors[i][k] * vectors[i][k];
                b += (double) reference[i][k] * reference[i][k];
            }
            double c = dot / Math.sqrt(a * b);
            sum += c;
            min = Math.min(min, c);
        }
        return new double[] {sum / vectors.length, min};
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static String ortVersion() {
        Package p = OrtEnvironment.class.getPackage();
        return p != null && p.getImplementationVersion() != null ? p.getImplementationVersion() : "(version unknown)";
    }

    private static String cpuName() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).strip();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }
}

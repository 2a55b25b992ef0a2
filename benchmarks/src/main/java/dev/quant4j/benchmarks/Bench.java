package dev.quant4j.benchmarks;

import dev.quant4j.kernels.Kernels;
import dev.quant4j.kernels.Parallelism;
import dev.quant4j.kernels.QuantKernels;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code quant4j bench}: one run that measures the kernels on 64 Mi weights and prints GB/s and the
 * ratios between them, the way the ggml peer bench (shared/peer-bench) measures ggml:
 * <ul>
 *   <li>quantize: float32 bytes in per second; dequantize: float32 bytes out per second;</li>
 *   <li>matrix-vector ([16384, 4096] weights, one float32 vector): bytes of weights per second, counted
 *       as the weights' stored size (codes plus scales in their param type: 4.5 bits per weight for
 *       Q4 block 32 F16, the same count as ggml's Q4_0), single thread unless the key says otherwise;</li>
 *   <li>copy: a Java {@code System.arraycopy} of 256 MiB, bytes read plus written (STREAM's count).</li>
 * </ul>
 * Before every timed run a buffer several times the last-level cache is read and written, so the
 * operands come from memory, not cache. Each figure is the median of the timed runs after a warm-up.
 *
 * <p>Usage: {@code Bench [--quick] [--json] [--threads N] [--reps N] [--flush-mib N] [--ggml FILE]}.
 * {@code --ggml} reads the RESULT lines of a peer-bench run and adds the ratios to ggml.
 */
public final class Bench {
    private static final int ROWS = 16384;
    private static final int COLS = 4096;
    private static final int N = ROWS * COLS;
    private static final double FLOAT_BYTES = 4.0 * N;
    private static final QuantScheme Q8S = QuantScheme.parse("q8s:block32:f16");
    private static final QuantScheme Q4F = QuantScheme.parse("q4f:block32:f16");

    private final boolean quick;
    private final int reps;
    private final long warmupNanos;
    private final int warmupCalls;
    private final byte[] flushBuffer;
    private final List<String> lines = new ArrayList<>();
    private final Map<String, Double> figures = new LinkedHashMap<>();
    private long sink;

    private Bench(boolean quick, int reps, int flushMib) {
        this.quick = quick;
        this.reps = reps;
        this.warmupNanos = quick ? 300_000_000L : 2_000_000_000L;
        this.warmupCalls = quick ? 2 : 5;
        this.flushBuffer = new byte[flushMib << 20];
        Arrays.fill(flushBuffer, (byte) 1);
    }

    public static void main(String[] args) throws IOException {
        boolean quick = false;
        boolean json = false;
        int threads = 2;
        int reps = -1;
        int flushMib = -1;
        Path ggml = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--json" -> json = true;
                case "--threads" -> threads = Integer.parseInt(value(args, ++i, "--threads"));
                case "--reps" -> reps = Integer.parseInt(value(args, ++i, "--reps"));
                case "--flush-mib" -> flushMib = Integer.parseInt(value(args, ++i, "--flush-mib"));
                case "--ggml" -> ggml = Path.of(value(args, ++i, "--ggml"));
                case "-h", "--help" -> {
                    System.out.println("usage: bench [--quick] [--json] [--threads N] [--reps N] [--flush-mib N]"
                            + " [--ggml PEER_BENCH_OUTPUT]");
                    return;
                }
                default ->
                    throw new IllegalArgumentException("unknown option " + args[i]
                            + "; options: --quick --json --threads N --reps N --flush-mib N --ggml FILE");
            }
        }
        if (threads < 2) {
            throw new IllegalArgumentException("--threads must be at least 2 (the single-thread figures are always"
                    + " measured); got " + threads);
        }
        long llc = lastLevelCacheBytes();
        if (flushMib < 0) {
            // Several times the last-level cache, at least the peer bench's 128 MiB, at most 1 GiB.
            flushMib = (int) Math.min(1024, Math.max(128, 4 * llc >> 20));
        }
        Bench b = new Bench(quick, reps > 0 ? reps : quick ? 3 : 7, flushMib);
        b.run(threads, llc, flushMib);
        Map<String, Double> peer = ggml != null ? readPeer(ggml) : Map.of();
        if (json) {
            System.out.println(b.json());
        } else {
            b.lines.forEach(System.out::println);
            b.printRatios(threads, peer);
        }
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private void run(int threads, long llc, int flushMib) {
        QuantKernels k = Kernels.active();
        info(String.format(
                Locale.ROOT,
                "quant4j bench: kernels %s, %s %s, %d processors, LLC %s, flush %d MiB," + " median of %d runs%s",
                k.name(),
                System.getProperty("java.vm.name"),
                System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(),
                llc > 0 ? (llc >> 20) + " MiB" : "unknown",
                flushMib,
                reps,
                quick ? " (--quick)" : ""));
        info("CPU: " + cpuModel());
        float[] x = new float[N];
        fill(x);
        FloatTensor tensor = FloatTensor.of(x, ROWS, COLS);
        float[] out = new float[N];

        float[] copy = new float[N];
        time("copy_gbps", 2 * FLOAT_BYTES, "bytes read + written", () -> System.arraycopy(x, 0, copy, 0, N));

        QuantizedTensor[] q8 = new QuantizedTensor[1];
        QuantizedTensor[] q4 = new QuantizedTensor[1];
        time("quantize_q8s_block32_f16_gbps", FLOAT_BYTES, "float32 in", () -> q8[0] = k.quantize("w", tensor, Q8S));
        time("quantize_q4f_block32_f16_gbps", FLOAT_BYTES, "float32 in", () -> q4[0] = k.quantize("w", tensor, Q4F));
        time("dequantize_q8s_block32_f16_gbps", FLOAT_BYTES, "float32 out", () -> k.dequantize(q8[0], out));
        time("dequantize_q4f_block32_f16_gbps", FLOAT_BYTES, "float32 out", () -> k.dequantize(q4[0], out));

        float[] v = new float[COLS];
        System.arraycopy(x, 12345, v, 0, COLS);
        float[] y = new float[ROWS];
        Parallelism one = Parallelism.single();
        Parallelism many = Parallelism.threads(threads);
        time("matvec_f32_gbps", FLOAT_BYTES, "weights", () -> k.matvec(x, ROWS, COLS, v, y, one));
        time("matvec_q8s_block32_f16_gbps", q8[0].byteSize(), "weights", () -> k.matvec(q8[0], v, y, one));
        time("matvec_q4f_block32_f16_gbps", q4[0].byteSize(), "weights", () -> k.matvec(q4[0], v, y, one));
        time(
                "matvec_int8_q8s_block32_f16_gbps",
                q8[0].byteSize(),
                "weights, int8 activations",
                () -> k.matvecInt8(q8[0], v, y, one));
        time(
                "matvec_int8_q4f_block32_f16_gbps",
                q4[0].byteSize(),
                "weights, int8 activations",
                () -> k.matvecInt8(q4[0], v, y, one));
        time(
                "matvec_f32_" + threads + "threads_gbps",
                FLOAT_BYTES,
                "weights",
                () -> k.matvec(x, ROWS, COLS, v, y, many));
        time(
                "matvec_q4f_block32_f16_" + threads + "threads_gbps",
                q4[0].byteSize(),
                "weights",
                () -> k.matvec(q4[0], v, y, many));
        time(
                "matvec_int8_q4f_block32_f16_" + threads + "threads_gbps",
                q4[0].byteSize(),
                "weights, int8 activations",
                () -> k.matvecInt8(q4[0], v, y, many));
        if (threads != 2) {
            // The key is for two threads; keep it when another count is asked for too.
            Parallelism two = Parallelism.threads(2);
            time("matvec_q4f_block32_f16_2threads_gbps", q4[0].byteSize(), "weights", () -> k.matvec(q4[0], v, y, two));
        }
        sink += Float.floatToRawIntBits(y[7]) + Float.floatToRawIntBits(out[5]) + Float.floatToRawIntBits(copy[3]);
        figures.put("weights", (double) N);
        figures.put("flush_mib", (double) flushMib);
        figures.put("threads", (double) threads);
        if (sink == 42) {
            System.out.print("");
        }
    }

    /** Warms up (at least a few calls and a fixed time), then times {@code reps} flushed runs. */
    private void time(String key, double bytes, String counted, Runnable op) {
        long start = System.nanoTime();
        for (int i = 0; i < warmupCalls || System.nanoTime() - start < warmupNanos; i++) {
            op.run();
        }
        double[] t = new double[reps];
        double[] threadCpu = new double[reps];
        long cpu = 0;
        long wall = 0;
        for (int r = 0; r < reps; r++) {
            flush();
            long c0 = processCpuNanos();
            long tc0 = THREADS.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            op.run();
            long dt = System.nanoTime() - t0;
            threadCpu[r] = (THREADS.getCurrentThreadCpuTime() - tc0) * 1e-9;
            cpu += processCpuNanos() - c0;
            wall += dt;
            t[r] = dt * 1e-9;
        }
        double[] sorted = t.clone();
        Arrays.sort(sorted);
        double median = sorted[reps / 2];
        double gbps = bytes / median / 1e9;
        figures.put(key, gbps);
        // The calling thread's CPU time: for a single-thread figure this leaves out the time the thread
        // waited for a core (the machine is shared), so it is the steadier figure under load.
        Arrays.sort(threadCpu);
        figures.put(key.replace("_gbps", "_threadcpu_gbps"), bytes / threadCpu[reps / 2] / 1e9);
        StringBuilder runs = new StringBuilder();
        for (double s : t) {
            runs.append(String.format(Locale.ROOT, " %.4f", s));
        }
        // Process CPU time over wall time: about 1 per busy thread. A multi-threaded figure whose ratio is
        // well below its thread count did not get the cores (other processes), not a kernel limit.
        double cpuPerWall = wall == 0 ? Double.NaN : (double) cpu / wall;
        figures.put(key.replace("_gbps", "_cpu_per_wall"), cpuPerWall);
        info(String.format(
                Locale.ROOT,
                "  %-44s %8.2f GB/s  (%s; %.1f MB; median %.4f s; thread cpu %.4f s;" + " cpu/wall %.2f; runs%s)",
                key.replace("_gbps", ""),
                gbps,
                counted,
                bytes / 1e6,
                median,
                threadCpu[reps / 2],
                cpuPerWall,
                runs));
    }

    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();

    private static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os =
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : 0;
    }

    /** Reads and writes one byte per 64-byte line of the flush buffer: evicts the operands from cache. */
    private void flush() {
        byte[] f = flushBuffer;
        long acc = 0;
        for (int i = 0; i < f.length; i += 64) {
            acc += f[i];
            f[i] = (byte) acc;
        }
        sink += acc;
    }

    private void info(String line) {
        lines.add(line);
    }

    private double fig(String key) {
        Double d = figures.get(key);
        return d == null ? Double.NaN : d;
    }

    private void printRatios(int threads, Map<String, Double> peer) {
        System.out.println("ratios (same run):");
        double copy = fig("copy_gbps");
        double f32 = fig("matvec_f32_gbps");
        double q4 = fig("matvec_q4f_block32_f16_gbps");
        double q4n = fig("matvec_q4f_block32_f16_" + threads + "threads_gbps");
        double q4bytesPerWeight = 18.0 / 32;
        ratio(
                "matvec q4f / matvec f32, weights per second (speed-up on the same matrix)",
                q4 / q4bytesPerWeight / (f32 / 4));
        ratio("matvec q4f / matvec f32, bytes per second", q4 / f32);
        ratio("matvec q4f " + threads + " threads / 1 thread", q4n / q4);
        ratio("matvec f32 / copy", f32 / copy);
        ratio("matvec q4f / copy (bytes)", q4 / copy);
        ratio("matvec int8 q4f / matvec q4f", fig("matvec_int8_q4f_block32_f16_gbps") / q4);
        if (!peer.isEmpty()) {
            System.out.println("ratios to ggml (peer bench output given with --ggml):");
            double q8quant = Math.max(
                    peer.getOrDefault("cpu_from_float_q8_0", Double.NaN),
                    peer.getOrDefault("quantize_chunk_q8_0", Double.NaN));
            double q4quant = Math.max(
                    peer.getOrDefault("cpu_from_float_q4_0", Double.NaN),
                    peer.getOrDefault("quantize_chunk_q4_0", Double.NaN));
            ratio("quantize q8s / ggml fastest q8_0 quantize", fig("quantize_q8s_block32_f16_gbps") / q8quant);
            ratio("quantize q4f / ggml fastest q4_0 quantize", fig("quantize_q4f_block32_f16_gbps") / q4quant);
            double toFloatQ8 = peer.getOrDefault("to_float_q8_0", Double.NaN);
            double toFloatQ4 = peer.getOrDefault("to_float_q4_0", Double.NaN);
            double dotQ4 = peer.getOrDefault("vec_dot_q4_0_q8_0", Double.NaN);
            double dotQ8 = peer.getOrDefault("vec_dot_q8_0_q8_0", Double.NaN);
            ratio("dequantize q8s / ggml q8_0 to_float", fig("dequantize_q8s_block32_f16_gbps") / toFloatQ8);
            ratio("dequantize q4f / ggml q4_0 to_float", fig("dequantize_q4f_block32_f16_gbps") / toFloatQ4);
            ratio("matvec q4f / ggml vec_dot_q4_0_q8_0", q4 / dotQ4);
            ratio("matvec int8 q4f / ggml vec_dot_q4_0_q8_0", fig("matvec_int8_q4f_block32_f16_gbps") / dotQ4);
            ratio("matvec q8s / ggml vec_dot_q8_0_q8_0", fig("matvec_q8s_block32_f16_gbps") / dotQ8);
            ratio("copy / ggml stream_copy", copy / peer.getOrDefault("stream_copy", Double.NaN));
        }
    }

    private static void ratio(String what, double r) {
        System.out.println(String.format(Locale.ROOT, "  %-62s %6.2f", what, r));
    }

    private String json() {
        StringBuilder sb = new StringBuilder("{");
        sb.append("\"kernels\":\"").append(Kernels.active().name()).append('"');
        for (Map.Entry<String, Double> e : figures.entrySet()) {
            sb.append(",\"").append(e.getKey()).append("\":").append(String.format(Locale.ROOT, "%.3f", e.getValue()));
        }
        return sb.append('}').toString();
    }

    /** The RESULT lines of the peer bench, in GB/s. */
    static Map<String, Double> readPeer(Path file) throws IOException {
        Map<String, Double> m = new LinkedHashMap<>();
        Pattern p = Pattern.compile("RESULT (\\w+): ([0-9.]+) (MB|GB)/s");
        for (String line : Files.readAllLines(file)) {
            Matcher mt = p.matcher(line);
            if (mt.find()) {
                double v = Double.parseDouble(mt.group(2));
                m.put(mt.group(1), mt.group(3).equals("MB") ? v / 1000 : v);
            }
        }
        if (m.isEmpty()) {
            throw new IllegalArgumentException(
                    file + " has no 'RESULT name: value GB/s' lines; give the output of" + " shared/peer-bench/run.sh");
        }
        return m;
    }

    /** The same pseudo-normal data as the peer bench (xorshift, sum of four uniforms, mean 0, variance 1). */
    static void fill(float[] x) {
        long s = 0x9E3779B97F4A7C15L;
        for (int i = 0; i < x.length; i++) {
            float acc = 0;
            for (int k = 0; k < 4; k++) {
                s ^= s << 13;
                s ^= s >>> 7;
                s ^= s << 17;
                acc += (float) ((s >>> 40) & 0xFFFFFF) / 16777216.0f;
            }
            x[i] = (acc - 2.0f) * 1.7320508f;
        }
    }

    private static long lastLevelCacheBytes() {
        long best = -1;
        for (int i = 0; i < 8; i++) {
            Path size = Path.of("/sys/devices/system/cpu/cpu0/cache/index" + i + "/size");
            try {
                String s = Files.readString(size).trim();
                long v = Long.parseLong(s.replaceAll("[^0-9]", ""));
                if (s.endsWith("K")) {
                    v <<= 10;
                } else if (s.endsWith("M")) {
                    v <<= 20;
                }
                best = Math.max(best, v);
            } catch (IOException | NumberFormatException e) {
                // Not Linux, or no such level: keep what we have.
            }
        }
        return best;
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // Not Linux.
        }
        return System.getProperty("os.arch");
    }
}

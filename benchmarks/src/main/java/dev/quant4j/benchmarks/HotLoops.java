package dev.quant4j.benchmarks;

import dev.quant4j.kernels.Gemm;
import dev.quant4j.kernels.GemmKernels;
import dev.quant4j.kernels.Int8Activations;
import dev.quant4j.kernels.Kernels;
import dev.quant4j.kernels.Parallelism;
import dev.quant4j.kernels.QuantKernels;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.util.Locale;

/**
 * A small driver that keeps the hot product kernels busy long enough for C2 to compile them, so that
 * {@code benchmarks/disassemble.sh} can print their machine code ({@code -XX:CompileCommand=print}). It runs,
 * on one thread: the float32 GEMM ({@code PanamaGemm.chain}), the W8A8 and W4A8 GEMMs
 * ({@code PanamaGemm.int8Tile}), the per-token int8 products ({@code PanamaProducts.q8Int8Row},
 * {@code q4Int8Row}), the float-activation Q4 matvec ({@code q4RowPairs}) and the Q8S quantizer, on
 * MiniLM-sized shapes ({@code [1536, 384]} weights, 14 tokens). It prints the best time per call of each, which
 * is only a sanity check (the measured figures come from {@code Bench}).
 *
 * <p>Usage: {@code HotLoops [seconds per kernel, default 3]}.
 */
public final class HotLoops {
    private static final int ROWS = 1536;
    private static final int COLS = 384;
    private static final int TOKENS = 14;

    private HotLoops() {}

    public static void main(String[] args) {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
        long budget = (long) (seconds * 1e9);
        float[] w = new float[ROWS * COLS];
        Bench.fill(w);
        float[] x = new float[TOKENS * COLS];
        System.arraycopy(w, 777, x, 0, x.length);
        QuantKernels k = Kernels.active();
        GemmKernels g = Gemm.active();
        Parallelism one = Parallelism.single();
        FloatTensor wt = FloatTensor.of(w, ROWS, COLS);
        QuantizedTensor q8 = k.quantize("w", wt, QuantScheme.parse("q8s:block32"));
        QuantizedTensor q4 = k.quantize("w", wt, QuantScheme.parse("q4f:block32:f16"));
        Int8Activations a = g.quantizeActivations(x, TOKENS, COLS, 32);
        float[] out = new float[TOKENS * ROWS];
        float[] v = new float[COLS];
        System.arraycopy(x, 0, v, 0, COLS);
        float[] y = new float[ROWS];
        System.out.println("HotLoops: kernels " + k.name() + ", gemm " + g.name());
        run("float32 GEMM (chain)", budget, () -> g.matmul(w, ROWS, COLS, x, TOKENS, out, one));
        run("W8A8 GEMM (int8Tile)", budget, () -> g.matmulInt8(q8, a, out, one));
        run("W4A8 GEMM (int8Tile)", budget, () -> g.matmulInt8(q4, a, out, one));
        run("matvecInt8 Q8S (q8Int8Row)", budget, () -> k.matvecInt8(q8, v, y, one));
        run("matvecInt8 Q4F (q4Int8Row)", budget, () -> k.matvecInt8(q4, v, y, one));
        run("matvec Q4F (q4RowPairs)", budget, () -> k.matvec(q4, v, y, one));
        run("quantize Q8S", budget, () -> k.quantize("w", wt, QuantScheme.parse("q8s:block32:f16")));
    }

    private static void run(String what, long budget, Runnable op) {
        long best = Long.MAX_VALUE;
        long start = System.nanoTime();
        int calls = 0;
        while (System.nanoTime() - start < budget || calls < 20) {
            long t0 = System.nanoTime();
            op.run();
            best = Math.min(best, System.nanoTime() - t0);
            calls++;
        }
        System.out.println(String.format(Locale.ROOT, "  %-30s best %8.1f us of %d calls", what, best / 1e3, calls));
    }
}

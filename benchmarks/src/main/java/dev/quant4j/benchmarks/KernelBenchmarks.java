package dev.quant4j.benchmarks;

import dev.quant4j.kernels.Kernels;
import dev.quant4j.kernels.Parallelism;
import dev.quant4j.kernels.QuantKernels;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH view of the kernels on a [16384, 4096] matrix (64 Mi weights). Operands are evicted from the caches
 * before every call (a {@link Level#Invocation} setup, which JMH does not time; each call takes
 * milliseconds, so the setup's own overhead does not matter). Run, for example:
 * <pre>
 * java --add-modules jdk.incubator.vector -jar benchmarks/target/benchmarks.jar KernelBenchmarks -prof gc
 * </pre>
 * {@code -prof gc} shows the bytes allocated per call: the products allocate only their per-call
 * activation buffers (a few times the number of columns), nothing per row or block.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xms3g", "-Xmx3g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class KernelBenchmarks {
    @Param("16384")
    public int rows;

    @Param("4096")
    public int cols;

    private final QuantKernels kernels = Kernels.active();
    private float[] weights;
    private FloatTensor tensor;
    private QuantizedTensor q8;
    private QuantizedTensor q4;
    private float[] x;
    private float[] y;
    private float[] out;

    /** Evicts the operands before each call by touching a buffer larger than the last-level cache. */
    @State(Scope.Thread)
    public static class Flush {
        @Param("1024")
        public int flushMib;

        private byte[] buffer;
        public long sink;

        @Setup(Level.Trial)
        public void allocate() {
            buffer = new byte[flushMib << 20];
        }

        @Setup(Level.Invocation)
        public void flush() {
            long acc = 0;
            for (int i = 0; i < buffer.length; i += 64) {
                acc += buffer[i];
                buffer[i] = (byte) acc;
            }
            sink += acc;
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        weights = new float[rows * cols];
        Bench.fill(weights);
        tensor = FloatTensor.of(weights, rows, cols);
        q8 = kernels.quantize("w", tensor, QuantScheme.parse("q8s:block32:f16"));
        q4 = kernels.quantize("w", tensor, QuantScheme.parse("q4f:block32:f16"));
        x = new float[cols];
        System.arraycopy(weights, 777, x, 0, cols);
        y = new float[rows];
        out = new float[rows * cols];
    }

    @Benchmark
    public QuantizedTensor quantizeQ8sBlock32F16(Flush f) {
        return kernels.quantize("w", tensor, q8.scheme());
    }

    @Benchmark
    public QuantizedTensor quantizeQ4fBlock32F16(Flush f) {
        return kernels.quantize("w", tensor, q4.scheme());
    }

    @Benchmark
    public float[] dequantizeQ8sBlock32F16(Flush f) {
        kernels.dequantize(q8, out);
        return out;
    }

    @Benchmark
    public float[] dequantizeQ4fBlock32F16(Flush f) {
        kernels.dequantize(q4, out);
        return out;
    }

    @Benchmark
    public float[] matvecF32(Flush f) {
        kernels.matvec(weights, rows, cols, x, y, Parallelism.single());
        return y;
    }

    @Benchmark
    public float[] matvecQ8sBlock32F16(Flush f) {
        kernels.matvec(q8, x, y, Parallelism.single());
        return y;
    }

    @Benchmark
    public float[] matvecQ4fBlock32F16(Flush f) {
        kernels.matvec(q4, x, y, Parallelism.single());
        return y;
    }

    @Benchmark
    public float[] matvecInt8Q4fBlock32F16(Flush f) {
        kernels.matvecInt8(q4, x, y, Parallelism.single());
        return y;
    }

    @Benchmark
    public float[] matvecQ4fBlock32F16TwoThreads(Flush f) {
        kernels.matvec(q4, x, y, Parallelism.threads(2));
        return y;
    }
}

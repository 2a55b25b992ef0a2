package dev.quant4j.benchmarks.agent;

import dev.quant4j.annotations.Quantize;
import dev.quant4j.fields.internal.FieldHooks;
import dev.quant4j.fields.internal.FieldStore;
import dev.quant4j.quantize.Quantizer;
import dev.quant4j.tensor.FloatTensor;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a field read costs under the agent (run with -javaagent; see benchmarks/run-agent-benchmarks.sh):
 * <ul>
 *   <li>{@code plainRead}: a field without @Quantize (the class is not rewritten): the baseline.</li>
 *   <li>{@code rewrittenReadUnquantized}: a @Quantize field that still holds its array: the hook's fast path.</li>
 *   <li>{@code quantizedReadHit}: a quantized field whose dequantized array is in the cache.</li>
 *   <li>{@code quantizedReadHitManyOwners}: the same over 64 owners of one field in turn (the map lookup path).</li>
 *   <li>{@code dot*}: a 4096-element dot product through each kind of read, the cost in context.</li>
 * </ul>
 * Under cache=none the quantized reads measure a full dequantization per read.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class FieldReadBenchmark {
    private static final int N = 4096;
    private static final int OWNERS = 64;

    public static class PlainHolder {
        public float[] w;
    }

    public static class AnnotatedHolder {
        public static final String KEY = "dev.quant4j.benchmarks.agent.FieldReadBenchmark$AnnotatedHolder#w";

        @Quantize
        public float[] w;
    }

    private PlainHolder plain;
    private AnnotatedHolder unquantized;
    private AnnotatedHolder quantized;
    private AnnotatedHolder[] owners;
    private int next;
    private float[] x;

    private static float[] weights(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[N];
        for (int i = 0; i < N; i++) {
            a[i] = (float) r.nextDouble(-1, 1);
        }
        return a;
    }

    private static AnnotatedHolder quantizedHolder(long seed) {
        AnnotatedHolder h = new AnnotatedHolder();
        h.w = weights(seed);
        var q = Quantizer.of("q8s").quantize("bench.w", FloatTensor.vector(h.w));
        FieldStore store = FieldHooks.requireStore("bench.w");
        h.w = null;
        store.store(h, AnnotatedHolder.KEY, q);
        return h;
    }

    @Setup(Level.Trial)
    public void setUp() {
        plain = new PlainHolder();
        plain.w = weights(1);
        unquantized = new AnnotatedHolder();
        unquantized.w = weights(2);
        quantized = quantizedHolder(3);
        owners = new AnnotatedHolder[OWNERS];
        for (int i = 0; i < OWNERS; i++) {
            owners[i] = quantizedHolder(10 + i);
        }
        x = weights(4);
        if (quantized.w == null) {
            throw new IllegalStateException("quantized field reads null: run with -javaagent");
        }
    }

    @Benchmark
    public float[] plainRead() {
        return plain.w;
    }

    @Benchmark
    public float[] rewrittenReadUnquantized() {
        return unquantized.w;
    }

    @Benchmark
    public float[] quantizedReadHit() {
        return quantized.w;
    }

    @Benchmark
    public float[] quantizedReadHitManyOwners() {
        int i = next;
        next = (i + 1) & (OWNERS - 1);
        return owners[i].w;
    }

    private float dot(float[] w) {
        float s = 0;
        for (int i = 0; i < N; i++) {
            s += w[i] * x[i];
        }
        return s;
    }

    @Benchmark
    public float dotPlain() {
        return dot(plain.w);
    }

    @Benchmark
    public float dotQuantizedHit() {
        return dot(quantized.w);
    }
}

package dev.quant4j.examples.minilm.demo;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Every sentence embedded once by a few threads that take the sentences in turn, with the CPU time the threads
 * spent: how the demo and benchmarks/OnnxRuntimeComparison measure an encoder.
 */
public final class ParallelEmbedding {
    private ParallelEmbedding() {}

    /** One sentence's vector from its token ids; {@code X} is what it may throw (an ONNX session's error). */
    @FunctionalInterface
    public interface Embedder<X extends Exception> {
        float[] embed(int[] tokenIds) throws X;
    }

    /** The vectors in sentence order, the threads' summed CPU time and the wall time of the whole run. */
    public record Result(float[][] vectors, long cpuNanos, long wallNanos) {}

    /**
     * Embeds every sentence of {@code tokenIds} once, on the calling thread and {@code threads - 1} platform
     * threads named {@code threadName-1}, ..., each taking the next sentence; {@code afterEach} (when not null)
     * runs after each sentence, on the thread that embedded it. The first failure stops the others from taking
     * more sentences and is thrown once all have stopped.
     */
    @SuppressWarnings("unchecked") // a failure that is neither unchecked nor an Error came from embedder: an X
    public static <X extends Exception> Result embed(
            List<int[]> tokenIds, int threads, String threadName, Embedder<X> embedder, Runnable afterEach) throws X {
        float[][] out = new float[tokenIds.size()][];
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong cpu = new AtomicLong();
        ThreadMXBean threadBean = ManagementFactory.getThreadMXBean();
        Runnable worker = () -> {
            long cpuStart = threadBean.getCurrentThreadCpuTime();
            try {
                for (int i; (i = next.getAndIncrement()) < out.length && failure.get() == null; ) {
                    out[i] = embedder.embed(tokenIds.get(i));
                    if (afterEach != null) {
                        afterEach.run();
                    }
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            } finally {
                cpu.addAndGet(threadBean.getCurrentThreadCpuTime() - cpuStart);
            }
        };
        long start = System.nanoTime();
        List<Thread> workers = new ArrayList<>();
        for (int t = 1; t < threads; t++) {
            workers.add(Thread.ofPlatform().name(threadName + "-" + t).start(worker));
        }
        worker.run();
        for (Thread t : workers) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while embedding", e);
            }
        }
        long wall = System.nanoTime() - start;
        Throwable t = failure.get();
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        if (t != null) {
            throw (X) t;
        }
        return new Result(out, cpu.get(), wall);
    }
}

package dev.quant4j.kernels;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many threads a product kernel may use. Work is split over output rows: the calling thread and up
 * to {@code threads - 1} workers of one shared daemon pool take chunks of rows from a common counter,
 * so a thread that is slowed down (another process on its core) does less of the work instead of
 * holding everyone up. Small products run on the calling thread alone.
 *
 * <p>The shared pool has {@code max(availableProcessors, -Dquant4j.threads)} workers and is created on
 * first use. Nothing is allocated per row; a parallel call allocates a handful of task objects.
 */
public final class Parallelism {
    /** System property for the default thread count. */
    public static final String THREADS_PROPERTY = "quant4j.threads";
    /** Below this many weights per chunk, splitting costs more than it gains. */
    private static final long MIN_WEIGHTS_PER_CHUNK = 1L << 16;

    private static final int CHUNKS_PER_THREAD = 8;

    private static final Parallelism SINGLE = new Parallelism(1);
    private static volatile Parallelism defaults;

    private final int threads;

    private Parallelism(int threads) {
        this.threads = threads;
    }

    /** Everything on the calling thread. */
    public static Parallelism single() {
        return SINGLE;
    }

    /** Up to {@code n} threads (the caller included). */
    public static Parallelism threads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("thread count must be at least 1, got " + n);
        }
        return n == 1 ? SINGLE : new Parallelism(n);
    }

    /** {@code -Dquant4j.threads=N} if set, else one thread per available processor. */
    public static Parallelism defaults() {
        Parallelism p = defaults;
        if (p == null) {
            String prop = System.getProperty(THREADS_PROPERTY);
            int n = Runtime.getRuntime().availableProcessors();
            if (prop != null && !prop.isBlank()) {
                try {
                    n = Integer.parseInt(prop.trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(
                            "-D" + THREADS_PROPERTY + "=" + prop
                                    + " is not a whole number; give a thread count such as 4",
                            e);
                }
            }
            p = threads(Math.max(1, n));
            defaults = p;
        }
        return p;
    }

    /** The most threads a call may use. */
    public int threads() {
        return threads;
    }

    @Override
    public String toString() {
        return "Parallelism[" + threads + " thread" + (threads == 1 ? "" : "s") + "]";
    }

    /** A piece of work over rows {@code [from, to)}. */
    @FunctionalInterface
    interface RowRange {
        void run(int from, int to);
    }

    /**
     * Runs {@code body} over rows {@code [0, rows)}, split into chunks of whole rows.
     *
     * @param weightsPerRow work per row, to keep chunks large enough to be worth a thread
     */
    void forRows(int rows, long weightsPerRow, RowRange body) {
        long minRows = Math.max(1, MIN_WEIGHTS_PER_CHUNK / Math.max(1, weightsPerRow));
        int maxChunks = (int) Math.min(rows / minRows, (long) threads * CHUNKS_PER_THREAD);
        if (threads == 1 || maxChunks < 2) {
            if (rows > 0) {
                body.run(0, rows);
            }
            return;
        }
        int chunks = maxChunks;
        int helpers = Math.min(threads, chunks) - 1;
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            for (int c; (c = next.getAndIncrement()) < chunks; ) {
                body.run((int) ((long) rows * c / chunks), (int) ((long) rows * (c + 1) / chunks));
            }
        };
        ForkJoinPool pool = Pool.POOL;
        ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[helpers];
        for (int h = 0; h < helpers; h++) {
            tasks[h] = pool.submit(worker);
        }
        Throwable failure = null;
        try {
            worker.run();
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        for (ForkJoinTask<?> t : tasks) {
            try {
                t.join();
            } catch (RuntimeException | Error e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure instanceof RuntimeException re) {
            throw re;
        }
        if (failure instanceof Error err) {
            throw err;
        }
    }

    /** The shared worker pool, created on first parallel call. */
    private static final class Pool {
        static final ForkJoinPool POOL = create();

        private static ForkJoinPool create() {
            int n = Runtime.getRuntime().availableProcessors();
            String prop = System.getProperty(THREADS_PROPERTY);
            if (prop != null) {
                try {
                    n = Math.max(n, Integer.parseInt(prop.trim()));
                } catch (NumberFormatException ignored) {
                    // defaults() reports the bad value.
                }
            }
            AtomicInteger id = new AtomicInteger();
            return new ForkJoinPool(
                    n,
                    p -> {
                        ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
                        t.setName("quant4j-kernels-" + id.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    },
                    null,
                    false);
        }
    }
}

package dev.quant4j.testkit;

import java.util.SplittableRandom;

/**
 * Seeded property cases: a master generator hands out one seed per case, and each case draws its data from
 * {@code new SplittableRandom(seed)}. A failing case is reported with its number and seed, so that it can be
 * replayed alone: {@code new SplittableRandom(seed)} draws the very same data again.
 *
 * <pre>{@code
 * SeededCases.run(0x5EEDL, 300, (seed, r) -> {
 *     int n = 1 + r.nextInt(100);
 *     ...
 * });
 * }</pre>
 *
 * Tests whose cases are nested in loops of their own draw them one at a time with {@link #next(Case)}.
 */
public final class SeededCases {
    /** One case: checks the data it draws from {@code r}, which was seeded with {@code seed}. */
    @FunctionalInterface
    public interface Case {
        void check(long seed, SplittableRandom r);
    }

    private final long masterSeed;
    private final SplittableRandom seeds;
    private int drawn;

    /** Cases whose seeds are drawn, in order, from {@code new SplittableRandom(masterSeed)}. */
    public SeededCases(long masterSeed) {
        this.masterSeed = masterSeed;
        this.seeds = new SplittableRandom(masterSeed);
    }

    /** Runs {@code count} cases, seeded from {@code masterSeed}. */
    public static void run(long masterSeed, int count, Case body) {
        SeededCases cases = new SeededCases(masterSeed);
        for (int i = 0; i < count; i++) {
            cases.next(body);
        }
    }

    /**
     * Draws the next seed and runs one case on it. A failure (an assertion or an exception) is rethrown as an
     * {@link AssertionError} that names the case, its seed and the master seed, with the failure as its cause.
     */
    public void next(Case body) {
        long seed = seeds.nextLong();
        int index = drawn++;
        try {
            body.check(seed, new SplittableRandom(seed));
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(
                    "case " + index + " (seed " + seed + "L, master seed 0x" + Long.toHexString(masterSeed)
                            + "L; replay it with new SplittableRandom(" + seed + "L)): " + e.getMessage(),
                    e);
        }
    }

    /** How many cases {@link #next(Case)} has run, the failing one included. */
    public int count() {
        return drawn;
    }
}

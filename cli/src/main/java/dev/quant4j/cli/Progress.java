package dev.quant4j.cli;

import dev.quant4j.io.DisplayText;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A one-line progress bar on stderr, redrawn in place with '\r'. It appears only once the work has run
 * for a second (short runs stay silent) and only when enabled: stderr is a terminal, or it is forced.
 * CI logs therefore see nothing from it; commands print their own one-line summary at the end.
 */
final class Progress implements AutoCloseable {
    /** {@code --progress} values. */
    enum Mode {
        AUTO,
        ALWAYS,
        NEVER
    }

    private static final long DELAY_NANOS = 1_000_000_000L;
    private static final int WIDTH = 100;
    private static final int BAR = 24;

    private final PrintWriter err;
    private final String verb;
    private final long total;
    private final long start = System.nanoTime();
    private final ScheduledExecutorService timer;
    private volatile long done;
    private volatile String current = "";
    private boolean drawn;

    private Progress(PrintWriter err, String verb, long total, boolean enabled) {
        this.err = err;
        this.verb = verb;
        this.total = Math.max(total, 1);
        if (enabled) {
            // Redrawn from a timer so that the bar moves on (elapsed time) even inside one long tensor.
            timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "quant4j-progress");
                t.setDaemon(true);
                return t;
            });
            timer.scheduleAtFixedRate(this::draw, 200, 200, TimeUnit.MILLISECONDS);
        } else {
            timer = null;
        }
    }

    /**
     * @param total bytes of work in all
     */
    static Progress start(PrintWriter err, Mode mode, String verb, long total) {
        return new Progress(err, verb, total, enabled(mode));
    }

    /**
     * Whether stderr is a terminal. Java cannot ask that of stderr alone; the {@code quant4j} launcher
     * tests it ({@code [ -t 2 ]}) and says so in {@code QUANT4J_STDERR_TTY}. Without the launcher, a
     * console on stdin/stdout is taken as a sign of an interactive run.
     */
    static boolean enabled(Mode mode) {
        return switch (mode) {
            case ALWAYS -> true;
            case NEVER -> false;
            case AUTO -> {
                String tty = System.getenv("QUANT4J_STDERR_TTY");
                if (tty != null) {
                    yield tty.equals("1");
                }
                yield System.console() != null && System.console().isTerminal();
            }
        };
    }

    /** The tensor now being worked on. */
    void working(String name) {
        current = DisplayText.escape(name);
    }

    /** Adds finished work. */
    void advance(long bytes) {
        done += bytes;
    }

    /** Seconds since start. */
    double seconds() {
        return (System.nanoTime() - start) / 1e9;
    }

    private synchronized void draw() {
        if (System.nanoTime() - start < DELAY_NANOS) {
            return;
        }
        double f = Math.min(1.0, (double) done / total);
        int full = (int) Math.round(f * BAR);
        String bar = "#".repeat(full) + ".".repeat(BAR - full);
        String line = String.format(
                Locale.ROOT,
                "%s [%s] %3d%% %s/%s %4.0fs %s",
                verb,
                bar,
                Math.round(f * 100),
                Sizes.bytes(done),
                Sizes.bytes(total),
                seconds(),
                current);
        if (line.length() > WIDTH) {
            line = line.substring(0, WIDTH - 1) + "~";
        }
        err.print("\r" + line + " ".repeat(WIDTH - line.length()));
        err.flush();
        drawn = true;
    }

    /** Stops the timer and clears the bar's line. */
    @Override
    public synchronized void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
        if (drawn) {
            err.print("\r" + " ".repeat(WIDTH) + "\r");
            err.flush();
            drawn = false;
        }
    }
}

package dev.quant4j.examples.minilm.demo;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The demo's progress on stderr. On a terminal: one bar per mode, redrawn in place with '\r' at most
 * ten times a second. Elsewhere (a log, a pipe): one line per finished step, so logs stay readable.
 *
 * <p>Java cannot ask whether stderr alone is a terminal; the {@code quant4j} launcher tests it
 * ({@code [ -t 2 ]}) and passes the answer in {@code QUANT4J_STDERR_TTY}.
 */
final class DemoProgress {

    private static final int WIDTH = 30;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintStream err;
    private final boolean bar;
    private final String label;
    private final long total;
    private final AtomicLong done = new AtomicLong();
    private final long start = System.nanoTime();
    private volatile String step = "";
    private long lastDraw;
    private int lastLength;

    /** Progress of {@code total} work units, labelled {@code label} (the mode) on every line. */
    DemoProgress(PrintStream err, boolean bar, String label, long total) {
        this.err = err;
        this.bar = bar;
        this.label = label;
        this.total = Math.max(total, 1);
    }

    /** Whether to draw a bar: forced by the option, else when stderr is a terminal. */
    static boolean barWanted(Boolean option) {
        if (option != null) {
            return option;
        }
        String tty = System.getenv("QUANT4J_STDERR_TTY");
        if (tty != null) {
            return tty.equals("1");
        }
        return System.console() != null && System.console().isTerminal();
    }

    /** A new step starts; without a bar it is printed as a line when {@code logged}. */
    void step(String text, boolean logged) {
        step = text;
        if (bar) {
            draw(true);
        } else if (logged) {
            synchronized (this) {
                err.printf(Locale.ROOT, "[%s] %s (%.0f s)%n", label, text, (System.nanoTime() - start) / 1e9);
                err.flush();
            }
        }
    }

    /** Work units done. */
    void advance(long units) {
        done.addAndGet(units);
        if (bar) {
            draw(false);
        }
    }

    /** Ends the bar's line. */
    void finish() {
        if (bar) {
            draw(true);
            synchronized (this) {
                err.println();
                err.flush();
            }
        }
    }

    private synchronized void draw(boolean force) {
        long now = System.nanoTime();
        if (!force && now - lastDraw < REDRAW_NANOS) {
            return;
        }
        lastDraw = now;
        double f = Math.min(1.0, (double) done.get() / total);
        int filled = (int) Math.round(f * WIDTH);
        String line = String.format(
                Locale.ROOT,
                "[%s] %s%s %3.0f%%  %.0f s  %s",
                label,
                "#".repeat(filled),
                "-".repeat(WIDTH - filled),
                f * 100,
                (now - start) / 1e9,
                step);
        int pad = Math.max(0, lastLength - line.length());
        lastLength = line.length();
        err.print("\r" + line + " ".repeat(pad));
        err.flush();
    }
}

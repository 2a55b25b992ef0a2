package dev.quant4j.examples.fashion;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The progress of {@code ./quant4j qat} on stderr: on a terminal a bar redrawn in place at most ten times a
 * second; elsewhere one line per stage, so logs stay readable. The launcher tells whether stderr is a
 * terminal ({@code QUANT4J_STDERR_TTY}), which Java cannot ask for stderr alone.
 */
final class Progress implements QatExperiment.Listener {
    private static final int WIDTH = 28;
    private final PrintStream err;
    private final boolean bar;
    private final long start = System.nanoTime();
    private String stage = "";
    private long units = 1;
    private long done;
    private long lastDraw;

    Progress(PrintStream err, boolean bar) {
        this.err = err;
        this.bar = bar;
    }

    static boolean onTerminal() {
        String tty = System.getenv("QUANT4J_STDERR_TTY");
        return tty != null ? tty.equals("1") : System.console() != null;
    }

    @Override
    public void stage(String text, long units) {
        if (bar && !stage.isEmpty()) {
            draw();
            err.println();
        }
        stage = text;
        this.units = Math.max(units, 1);
        done = 0;
        if (bar) {
            draw();
        } else {
            err.printf(Locale.ROOT, "[qat %4.0f s] %s%n", seconds(), text);
        }
        err.flush();
    }

    @Override
    public void advance() {
        done++;
        long now = System.nanoTime();
        if (bar && (now - lastDraw > 100_000_000L || done == units)) {
            draw();
        }
    }

    void finish() {
        if (bar && !stage.isEmpty()) {
            draw();
            err.println();
            err.flush();
        }
    }

    private void draw() {
        lastDraw = System.nanoTime();
        int filled = (int) (WIDTH * Math.min(done, units) / units);
        err.printf(
                Locale.ROOT,
                "\r[%s%s] %3d%% %-44s %5.0f s",
                "#".repeat(filled),
                "-".repeat(WIDTH - filled),
                100 * Math.min(done, units) / units,
                stage,
                seconds());
        err.flush();
    }

    private double seconds() {
        return (System.nanoTime() - start) / 1e9;
    }
}

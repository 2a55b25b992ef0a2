package dev.quant4j.agent;

import java.util.Locale;

/**
 * The agent's log: one line per event on standard error, prefixed {@code [quant4j-agent]}.
 * Not java.util.logging or System.Logger: the agent starts before the application configures logging, and
 * initialising a logging framework from premain would both cost start-up time and change how the
 * application's own logging gets set up.
 */
public final class AgentLog {
    /** How much the agent says: quiet (nothing), warn (faults only), info (plus one start-up line), debug. */
    public enum Level {
        QUIET,
        WARN,
        INFO,
        DEBUG;

        static Level parse(String text) {
            try {
                return valueOf(text.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("log level '" + text + "' is not one of quiet, warn, info, debug");
            }
        }
    }

    private static volatile Level level = Level.WARN;

    private AgentLog() {}

    public static void setLevel(Level l) {
        level = l;
    }

    public static boolean debugEnabled() {
        return level.compareTo(Level.DEBUG) >= 0;
    }

    public static void warn(String message) {
        if (level.compareTo(Level.WARN) >= 0) {
            System.err.println("[quant4j-agent] WARNING " + message);
        }
    }

    public static void info(String message) {
        if (level.compareTo(Level.INFO) >= 0) {
            System.err.println("[quant4j-agent] " + message);
        }
    }

    public static void debug(String message) {
        if (debugEnabled()) {
            System.err.println("[quant4j-agent] DEBUG " + message);
        }
    }
}

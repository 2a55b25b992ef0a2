package dev.quant4j.cli;

import java.util.Locale;

/** Human-readable numbers for text output. */
final class Sizes {
    private Sizes() {
    }

    /** Bytes in decimal units: 512 B, 1.5 kB, 53.2 MB, 1.20 GB. */
    static String bytes(long b) {
        if (b < 1000) {
            return b + " B";
        }
        if (b < 1_000_000) {
            return String.format(Locale.ROOT, "%.1f kB", b / 1e3);
        }
        if (b < 1_000_000_000) {
            return String.format(Locale.ROOT, "%.1f MB", b / 1e6);
        }
        return String.format(Locale.ROOT, "%.2f GB", b / 1e9);
    }

    /** A shape as {@code 384x1536}; a scalar as {@code scalar}. */
    static String shape(long[] shape) {
        if (shape.length == 0) {
            return "scalar";
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) {
                sb.append('x');
            }
            sb.append(shape[i]);
        }
        return sb.toString();
    }
}

package dev.quant4j.cli;

import dev.quant4j.io.Dtype;
import dev.quant4j.io.QuantizedLayout;
import dev.quant4j.io.TensorSpec;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Human-readable numbers for text output. */
final class Sizes {
    private Sizes() {}

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

    /** The units of a size, as Hugging Face's {@code max_shard_size} reads them (upper case). */
    private static final Map<String, Long> UNITS = Map.of(
            "",
            1L,
            "B",
            1L,
            "KB",
            1000L,
            "MB",
            1000_000L,
            "GB",
            1000_000_000L,
            "KIB",
            1L << 10,
            "MIB",
            1L << 20,
            "GIB",
            1L << 30);

    private static final Pattern SIZE = Pattern.compile("\\s*([0-9]{1,19})\\s*([A-Za-z]*)\\s*");

    /** What a size looks like, for error messages. */
    static final String SIZE_FORM = "write a whole number and a unit: B, KB, MB, GB (powers of 1000) or KiB, MiB, "
            + "GiB (powers of 1024), e.g. 2GB";

    /**
     * A size such as {@code 2GB}, {@code 500MB}, {@code 10GiB} or {@code 4096} (bytes): units as Hugging
     * Face's {@code max_shard_size}, in any case, except that a unit ending in a lower-case b (which
     * Hugging Face reads as bits) is refused.
     *
     * @throws IllegalArgumentException saying what is wrong and what to write instead
     */
    static long parseSize(String text) {
        Matcher m = SIZE.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size; " + SIZE_FORM);
        }
        String unit = m.group(2);
        Long factor = UNITS.get(unit.toUpperCase(Locale.ROOT));
        if (factor == null) {
            throw new IllegalArgumentException("'" + text + "' has unit '" + unit + "', which is not one of B, KB, MB, "
                    + "GB, KiB, MiB, GiB; " + SIZE_FORM);
        }
        if (unit.length() > 1 && unit.endsWith("b")) {
            String prefix = unit.substring(0, unit.length() - 1);
            String bytes = prefix.length() == 2
                    ? Character.toUpperCase(prefix.charAt(0)) + "iB"
                    : prefix.toUpperCase(Locale.ROOT) + "B";
            throw new IllegalArgumentException("'" + text + "' ends in a lower-case b, which Hugging Face reads as "
                    + "bits; write " + m.group(1) + bytes + " for bytes");
        }
        long n;
        try {
            n = Math.multiplyExact(Long.parseLong(m.group(1)), factor);
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is more bytes than a file can hold; " + SIZE_FORM);
        }
        if (n < 1) {
            throw new IllegalArgumentException("'" + text + "' is no bytes; a shard holds at least one, " + SIZE_FORM);
        }
        return n;
    }

    /** Bytes of tensor data a spec takes in a safetensors file (a quantized tensor's codes and scales). */
    static long dataBytes(TensorSpec spec) {
        return switch (spec) {
            case TensorSpec.Raw r -> r.byteSize();
            case TensorSpec.Quantized q ->
                size(QuantizedLayout.codesDtype(q.scheme()), QuantizedLayout.codesShape(q.shape(), q.scheme()))
                        + size(
                                QuantizedLayout.scalesDtype(q.scheme().param()),
                                QuantizedLayout.scalesShape(q.shape(), q.scheme()));
        };
    }

    private static long size(Dtype dtype, long[] shape) {
        return dtype.byteSize(Arrays.stream(shape).reduce(1, Math::multiplyExact));
    }
}

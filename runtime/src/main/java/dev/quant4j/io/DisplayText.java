package dev.quant4j.io;

/**
 * Text from a file (tensor names, metadata, dtype strings) made safe to print. A name is any string a
 * header holds, so it may carry terminal escape sequences ({@code ESC ]0;title BEL}, {@code ESC [2J}),
 * carriage returns that overwrite a line, or bidirectional overrides that show text in another order.
 * {@link #escape} writes every such character as a visible escape, so a file cannot drive the
 * terminal or forge a line of output; all other text, non-ASCII letters included, is kept as it is.
 *
 * <p>Escaped: C0 controls and DEL ({@code \n}, {@code \r}, {@code \t}, else {@code \x1b} style), C1
 * controls ({@code \x9b}), and Unicode format, line- and paragraph-separator characters and lone
 * surrogates ({@code \u202e}, {@code \U000e0001}). The backslash itself is not escaped, so that
 * escaping twice changes nothing: every message can pass through it again at the point of printing.
 * The result is for people to read, not to parse back.
 */
public final class DisplayText {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private DisplayText() {}

    /** Whether a code point must not reach a terminal as it is. */
    public static boolean needsEscape(int cp) {
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
            return true;
        }
        if (cp < 0xA0) {
            return false;
        }
        return switch (Character.getType(cp)) {
            case Character.FORMAT,
                    Character.LINE_SEPARATOR,
                    Character.PARAGRAPH_SEPARATOR,
                    Character.SURROGATE,
                    Character.CONTROL -> true;
            default -> false;
        };
    }

    /** The text with every character of {@link #needsEscape} written as an escape; null as "null". */
    public static String escape(String s) {
        if (s == null) {
            return "null";
        }
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            if (needsEscape(cp)) {
                break;
            }
            i += Character.charCount(cp);
        }
        if (i == s.length()) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length() + 16).append(s, 0, i);
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (!needsEscape(cp)) {
                sb.appendCodePoint(cp);
            } else if (cp == '\n') {
                sb.append("\\n");
            } else if (cp == '\r') {
                sb.append("\\r");
            } else if (cp == '\t') {
                sb.append("\\t");
            } else if (cp <= 0xFF) {
                sb.append("\\x").append(HEX[cp >> 4]).append(HEX[cp & 15]);
            } else if (cp <= 0xFFFF) {
                sb.append("\\u");
                hex(sb, cp, 4);
            } else {
                sb.append("\\U");
                hex(sb, cp, 8);
            }
        }
        return sb.toString();
    }

    private static void hex(StringBuilder sb, int v, int digits) {
        for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) {
            sb.append(HEX[(v >>> shift) & 15]);
        }
    }

    /**
     * Refuses text with a lone UTF-16 surrogate, which has no UTF-8 form: a writer would store it as '?'
     * and read it back changed.
     *
     * @throws IllegalArgumentException naming {@code what} and the (escaped) text
     */
    public static void requireUtf8(String s, String what) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(
                        "the " + what + " '" + escape(s) + "' holds a lone UTF-16 surrogate, which has no UTF-8 form");
            }
        }
    }
}

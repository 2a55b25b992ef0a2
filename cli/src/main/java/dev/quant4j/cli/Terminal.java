package dev.quant4j.cli;

import dev.quant4j.io.DisplayText;
import java.io.PrintWriter;

/**
 * Every line the CLI prints goes through here, so text that came from a file (tensor names, metadata,
 * the file's own words in an error) is escaped before it reaches a terminal ({@link DisplayText}).
 * Escaping is idempotent, so a message that the runtime escaped already passes through unchanged.
 */
final class Terminal {
    private Terminal() {}

    /** Prints one line with control and format characters escaped. */
    static void line(PrintWriter w, String text) {
        w.println(DisplayText.escape(text));
    }

    /**
     * JSON text made safe for a terminal. Gson escapes C0 controls inside strings but writes DEL, C1
     * controls and format characters as they are; those become {@code \}{@code uXXXX} escapes, which
     * leave every value unchanged for a JSON reader. Raw C0 characters in the text are the
     * pretty-printer's newlines (inside strings Gson has escaped them), so they stay.
     */
    static String json(String text) {
        StringBuilder sb = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x7F && DisplayText.needsEscape(Character.isSurrogate(c) ? text.codePointAt(i) : c)) {
                if (sb == null) {
                    sb = new StringBuilder(text.length() + 16).append(text, 0, i);
                }
                int cp = text.codePointAt(i);
                for (char unit : Character.toChars(cp)) {
                    sb.append(String.format("\\u%04x", (int) unit));
                }
                i += Character.charCount(cp) - 1;
            } else if (sb != null) {
                sb.append(c);
            }
        }
        return sb == null ? text : sb.toString();
    }
}

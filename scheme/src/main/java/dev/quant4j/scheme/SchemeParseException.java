package dev.quant4j.scheme;

/** A scheme's text form could not be read. The message names the text, the fault and the fix. */
public final class SchemeParseException extends IllegalArgumentException {
    public SchemeParseException(String text, String fault, String fix) {
        super("cannot read scheme '" + text + "': " + fault + "; " + fix);
    }
}

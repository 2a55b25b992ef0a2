package dev.quant4j.cli;

import java.util.regex.Pattern;

/**
 * Glob patterns over tensor names. Unlike file-system globs, {@code *} crosses every character ('.' and
 * '/' included), since tensor names are flat strings such as {@code model.layers.0.mlp.up_proj.weight}.
 * Syntax: {@code *} any run of characters, {@code ?} one character, {@code [abc]}, {@code [a-z]},
 * {@code [!abc]} one character of (or not of) a set, {@code {a,b}} one of the alternatives,
 * {@code \x} the character x itself. The pattern matches the whole name.
 */
final class Glob {
    private final String text;
    private final Pattern pattern;

    private Glob(String text, Pattern pattern) {
        this.text = text;
        this.pattern = pattern;
    }

    /** @throws IllegalArgumentException naming the fault, for an unclosed bracket or brace */
    static Glob of(String glob) {
        return new Glob(glob, Pattern.compile(toRegex(glob), Pattern.DOTALL));
    }

    boolean matches(String name) {
        return pattern.matcher(name).matches();
    }

    @Override
    public String toString() {
        return text;
    }

    static String toRegex(String glob) {
        StringBuilder re = new StringBuilder();
        int braces = 0;
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                case '\\' -> {
                    if (i + 1 == glob.length()) {
                        throw new IllegalArgumentException("glob '" + glob + "' ends with a lone '\\'");
                    }
                    re.append(Pattern.quote(String.valueOf(glob.charAt(++i))));
                }
                case '[' -> {
                    int end = glob.indexOf(']', i + 2);
                    if (end < 0) {
                        throw new IllegalArgumentException("glob '" + glob + "' has a '[' at " + i
                                + " without a closing ']'");
                    }
                    String set = glob.substring(i + 1, end);
                    boolean negate = set.startsWith("!") || set.startsWith("^");
                    if (negate) {
                        set = set.substring(1);
                    }
                    re.append('[').append(negate ? "^" : "");
                    for (int k = 0; k < set.length(); k++) {
                        char s = set.charAt(k);
                        // Keep ranges, quote everything else so regex syntax inside a set means itself.
                        if (s == '-' && k > 0 && k < set.length() - 1) {
                            re.append('-');
                        } else if (Character.isLetterOrDigit(s)) {
                            re.append(s);
                        } else {
                            re.append('\\').append(s);
                        }
                    }
                    re.append(']');
                    i = end;
                }
                case '{' -> {
                    braces++;
                    re.append("(?:");
                }
                case '}' -> {
                    if (braces == 0) {
                        throw new IllegalArgumentException("glob '" + glob + "' has a '}' at " + i + " without a '{'");
                    }
                    braces--;
                    re.append(')');
                }
                case ',' -> re.append(braces > 0 ? "|" : ",");
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        if (braces > 0) {
            throw new IllegalArgumentException("glob '" + glob + "' has a '{' without a closing '}'");
        }
        return re.toString();
    }
}

package dev.quant4j.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Glob patterns over tensor names. Unlike file-system globs, {@code *} crosses every character ('.' and
 * '/' included), since tensor names are flat strings such as {@code model.layers.0.mlp.up_proj.weight}.
 * Syntax: {@code *} any run of characters, {@code ?} one character, {@code [abc]}, {@code [a-z]},
 * {@code [!abc]} one character of (or not of) a set, {@code {a,b}} one of the alternatives,
 * {@code \x} the character x itself. The pattern matches the whole name.
 *
 * <p>Names come from untrusted files and may be megabytes long, so matching must not backtrack (a
 * regex {@code .*a.*a.*b} takes time polynomial in the name's length to fail). The pattern is compiled
 * to a small automaton, and {@link #matches} steps all its states over the name at once (Thompson's
 * construction, simulated as in a Pike VM): time proportional to name length × pattern length.
 */
final class Glob {
    private static final int CHAR = 0;
    private static final int ANY = 1;
    private static final int SET = 2;
    private static final int SPLIT = 3;
    private static final int JUMP = 4;
    private static final int MATCH = 5;

    private final String text;
    /** Instruction i: {@code op[i]} with operands {@code a[i]} (char, set index or first target) and {@code b[i]}. */
    private final int[] op;

    private final int[] a;
    private final int[] b;
    private final List<CharSet> sets;

    /** One {@code [...]} set: inclusive code-point ranges {@code lo[k]..hi[k]}, possibly negated. */
    private record CharSet(int[] lo, int[] hi, boolean negated) {
        boolean contains(int c) {
            boolean in = false;
            for (int k = 0; k < lo.length && !in; k++) {
                in = c >= lo[k] && c <= hi[k];
            }
            return in != negated;
        }
    }

    private Glob(String text, Compiler c) {
        this.text = text;
        this.op = Arrays.copyOf(c.op, c.size);
        this.a = Arrays.copyOf(c.a, c.size);
        this.b = Arrays.copyOf(c.b, c.size);
        this.sets = List.copyOf(c.sets);
    }

    /** @throws IllegalArgumentException naming the fault, for an unclosed bracket or brace */
    static Glob of(String glob) {
        Compiler c = new Compiler(glob);
        c.alternatives(false);
        c.emit(MATCH, 0, 0);
        return new Glob(glob, c);
    }

    boolean matches(String name) {
        int n = op.length;
        int[] current = new int[n];
        int[] next = new int[n];
        // mark[pc] == generation: pc is already in the list being built.
        int[] mark = new int[n];
        int[] stack = new int[n];
        int generation = 1;
        int count = close(0, current, 0, mark, generation, stack);
        for (int i = 0; i < name.length() && count > 0; ) {
            int ch = name.codePointAt(i);
            i += Character.charCount(ch);
            generation++;
            int nextCount = 0;
            for (int k = 0; k < count; k++) {
                int pc = current[k];
                boolean step = switch (op[pc]) {
                    case CHAR -> a[pc] == ch;
                    case ANY -> true;
                    case SET -> sets.get(a[pc]).contains(ch);
                    default -> false;
                };
                if (step) {
                    nextCount = close(pc + 1, next, nextCount, mark, generation, stack);
                }
            }
            int[] t = current;
            current = next;
            next = t;
            count = nextCount;
        }
        for (int k = 0; k < count; k++) {
            if (op[current[k]] == MATCH) {
                return true;
            }
        }
        return false;
    }

    /** Adds {@code start} and every state reachable from it without reading a character. */
    private int close(int start, int[] list, int count, int[] mark, int generation, int[] stack) {
        int top = 0;
        stack[top++] = start;
        while (top > 0) {
            int pc = stack[--top];
            if (mark[pc] == generation) {
                continue;
            }
            mark[pc] = generation;
            switch (op[pc]) {
                case JUMP -> stack[top++] = a[pc];
                case SPLIT -> {
                    // Pushed in reverse so that a[pc] is explored first (the order does not change the answer).
                    stack[top++] = b[pc];
                    stack[top++] = a[pc];
                }
                default -> list[count++] = pc;
            }
        }
        return count;
    }

    /** A glob that matches exactly this name: every glob character escaped with '\\'. */
    static String quote(String name) {
        return dev.quant4j.plan.Plan.globLiteral(name);
    }

    @Override
    public String toString() {
        return text;
    }

    /** Recursive descent over the glob, emitting instructions as it goes. */
    private static final class Compiler {
        private final String glob;
        private int pos;
        private int[] op = new int[16];
        private int[] a = new int[16];
        private int[] b = new int[16];
        private int size;
        private final List<CharSet> sets = new ArrayList<>();

        Compiler(String glob) {
            this.glob = glob;
        }

        int emit(int code, int x, int y) {
            if (size == op.length) {
                op = Arrays.copyOf(op, size * 2);
                a = Arrays.copyOf(a, size * 2);
                b = Arrays.copyOf(b, size * 2);
            }
            op[size] = code;
            a[size] = x;
            b[size] = y;
            return size++;
        }

        /**
         * {@code seq (',' seq)*}; inside braces a ',' separates alternatives and '}' ends them, outside
         * a ',' is itself.
         */
        void alternatives(boolean inBraces) {
            List<Integer> jumpsToEnd = new ArrayList<>();
            while (true) {
                int split = inBraces ? emit(SPLIT, 0, 0) : -1;
                if (split >= 0) {
                    a[split] = size;
                }
                sequence(inBraces);
                if (inBraces && pos < glob.length() && glob.charAt(pos) == ',') {
                    pos++;
                    jumpsToEnd.add(emit(JUMP, 0, 0));
                    b[split] = size;
                    continue;
                }
                if (split >= 0) {
                    // The last alternative: its split has nowhere else to go; make it a plain jump.
                    op[split] = JUMP;
                }
                break;
            }
            for (int j : jumpsToEnd) {
                a[j] = size;
            }
            if (inBraces) {
                if (pos >= glob.length()) {
                    throw new IllegalArgumentException("glob '" + glob + "' has a '{' without a closing '}'");
                }
                pos++;
            } else if (pos < glob.length()) {
                throw new IllegalArgumentException("glob '" + glob + "' has a '}' at " + pos + " without a '{'");
            }
        }

        private void sequence(boolean inBraces) {
            while (pos < glob.length()) {
                char c = glob.charAt(pos);
                if (c == '}' || (c == ',' && inBraces)) {
                    return;
                }
                switch (c) {
                    case '*' -> {
                        pos++;
                        // Not a[split] = emit(...): emit may grow the arrays after a[] was evaluated.
                        int split = emit(SPLIT, 0, 0);
                        int any = emit(ANY, 0, 0);
                        emit(JUMP, split, 0);
                        a[split] = any;
                        b[split] = size;
                    }
                    case '?' -> {
                        pos++;
                        emit(ANY, 0, 0);
                    }
                    case '\\' -> {
                        if (pos + 1 == glob.length()) {
                            throw new IllegalArgumentException("glob '" + glob + "' ends with a lone '\\'");
                        }
                        int cp = glob.codePointAt(pos + 1);
                        pos += 1 + Character.charCount(cp);
                        emit(CHAR, cp, 0);
                    }
                    case '[' -> set();
                    case '{' -> {
                        pos++;
                        alternatives(true);
                    }
                    default -> {
                        int cp = glob.codePointAt(pos);
                        pos += Character.charCount(cp);
                        emit(CHAR, cp, 0);
                    }
                }
            }
        }

        /** {@code [set]}: the first member may be ']' itself; '-' between two members is a range. */
        private void set() {
            int open = pos;
            int end = glob.indexOf(']', open + 2);
            if (end < 0) {
                throw new IllegalArgumentException(
                        "glob '" + glob + "' has a '[' at " + open + " without a closing ']'");
            }
            String body = glob.substring(open + 1, end);
            boolean negated = body.startsWith("!") || body.startsWith("^");
            if (negated) {
                body = body.substring(1);
            }
            int[] members = body.codePoints().toArray();
            List<int[]> ranges = new ArrayList<>();
            for (int k = 0; k < members.length; k++) {
                if (k + 2 < members.length && members[k + 1] == '-') {
                    if (members[k] > members[k + 2]) {
                        throw new IllegalArgumentException("glob '" + glob + "' has the range "
                                + Character.toString(members[k]) + "-" + Character.toString(members[k + 2])
                                + ", which is reversed; write the smaller end first");
                    }
                    ranges.add(new int[] {members[k], members[k + 2]});
                    k += 2;
                } else {
                    ranges.add(new int[] {members[k], members[k]});
                }
            }
            sets.add(new CharSet(
                    ranges.stream().mapToInt(r -> r[0]).toArray(),
                    ranges.stream().mapToInt(r -> r[1]).toArray(),
                    negated));
            emit(SET, sets.size() - 1, 0);
            pos = end + 1;
        }
    }
}

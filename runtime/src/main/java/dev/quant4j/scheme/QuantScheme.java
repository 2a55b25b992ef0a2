package dev.quant4j.scheme;

import dev.quant4j.annotations.Calibration;
import dev.quant4j.annotations.QuantLevel;
import dev.quant4j.annotations.QuantMode;
import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantStore;
import dev.quant4j.annotations.QuantValue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A quantization scheme: what a tensor is quantized to and how the result is laid out. Immutable,
 * built in Burn's style from {@link #DEFAULT}:
 *
 * <pre>{@code
 * QuantScheme s = QuantScheme.DEFAULT.withValue(QuantValue.Q4F).withBlockSize(32)
 *         .withParam(QuantParam.F16);            // "q4f:block32:f16:u32"
 * }</pre>
 *
 * <p>A scheme may be invalid (a sub-byte value with NATIVE store, say): it can be built and printed so
 * that every problem can be reported at once, but {@link #validate()} — which every quantizer calls —
 * throws for it. {@link #problems()} is the one validation routine of the project: the annotation
 * processor reports exactly what it returns.
 *
 * <p>Block extents are kept canonical: leading 1s are dropped ({@code block1x32} is {@code block32}),
 * because a block is right-aligned to the tensor's trailing dimensions and left-padded with 1s.
 */
public final class QuantScheme {
    /** The most extents a block may have. */
    public static final int MAX_BLOCK_RANK = 5;

    /** Burn's default: Q8S, per tensor, U32 store, F32 scales, symmetric, min-max. */
    public static final QuantScheme DEFAULT = new QuantScheme(QuantValue.Q8S, QuantLevel.TENSOR, new int[0],
            QuantStore.U32, QuantParam.F32, QuantMode.SYMMETRIC, Calibration.MIN_MAX);

    private final QuantValue value;
    private final QuantLevel level;
    private final int[] block;
    private final QuantStore store;
    private final QuantParam param;
    private final QuantMode mode;
    private final Calibration calibration;

    private QuantScheme(QuantValue value, QuantLevel level, int[] block, QuantStore store, QuantParam param,
                        QuantMode mode, Calibration calibration) {
        this.value = Objects.requireNonNull(value, "value");
        this.level = Objects.requireNonNull(level, "level");
        this.block = level == QuantLevel.TENSOR ? new int[0] : canonicalBlock(block);
        this.store = Objects.requireNonNull(store, "store");
        this.param = Objects.requireNonNull(param, "param");
        this.mode = Objects.requireNonNull(mode, "mode");
        this.calibration = Objects.requireNonNull(calibration, "calibration");
    }

    /** Builds a scheme from all of its parts (the shape an annotation provides). */
    public static QuantScheme of(QuantValue value, QuantLevel level, int[] blockSize, QuantStore store,
                                 QuantParam param, QuantMode mode, Calibration calibration) {
        return new QuantScheme(value, level, blockSize == null ? new int[0] : blockSize, store, param, mode,
                calibration);
    }

    private static int[] canonicalBlock(int[] extents) {
        Objects.requireNonNull(extents, "blockSize");
        int first = 0;
        // Leading 1s do not change a right-aligned block; keep at least one extent.
        while (first < extents.length - 1 && extents[first] == 1) {
            first++;
        }
        return Arrays.copyOfRange(extents, first, extents.length);
    }

    public QuantScheme withValue(QuantValue v) {
        return new QuantScheme(v, level, block, store, param, mode, calibration);
    }

    /** Sets the level; {@code BLOCK} keeps the current extents (32 if there are none). */
    public QuantScheme withLevel(QuantLevel l) {
        int[] b = l == QuantLevel.BLOCK && block.length == 0 ? new int[] {32} : block;
        return new QuantScheme(value, l, b, store, param, mode, calibration);
    }

    /** Sets block level with these extents, right-aligned to the tensor's trailing dimensions. */
    public QuantScheme withBlockSize(int... extents) {
        return new QuantScheme(value, QuantLevel.BLOCK, extents.clone(), store, param, mode, calibration);
    }

    public QuantScheme withStore(QuantStore s) {
        return new QuantScheme(value, level, block, s, param, mode, calibration);
    }

    public QuantScheme withParam(QuantParam p) {
        return new QuantScheme(value, level, block, store, p, mode, calibration);
    }

    public QuantScheme withMode(QuantMode m) {
        return new QuantScheme(value, level, block, store, param, m, calibration);
    }

    public QuantScheme withCalibration(Calibration c) {
        return new QuantScheme(value, level, block, store, param, mode, c);
    }

    public QuantValue value() {
        return value;
    }

    public QuantLevel level() {
        return level;
    }

    /** The block extents in canonical form (no leading 1s); empty for the tensor level. */
    public int[] blockSize() {
        return block.clone();
    }

    /** Number of block extents (0 for the tensor level). */
    public int blockRank() {
        return block.length;
    }

    /** One block extent, counted from the left of the canonical form. */
    public int blockExtent(int i) {
        return block[i];
    }

    public QuantStore store() {
        return store;
    }

    public QuantParam param() {
        return param;
    }

    public QuantMode mode() {
        return mode;
    }

    public Calibration calibration() {
        return calibration;
    }

    /**
     * Every problem of this scheme on its own, in a stable order; empty when it is valid. This is the
     * single validation routine: the annotation processor and the runtime both report from it.
     */
    public List<SchemeProblem> problems() {
        List<SchemeProblem> out = new ArrayList<>();
        if (value.isSubByte() && store == QuantStore.NATIVE) {
            out.add(new SchemeProblem("store",
                    "Native storage is not supported for sub-byte quantization values (" + value + " has "
                            + value.bits() + " bits)",
                    "use store = U32 to pack " + (32 / value.bits()) + " codes per 32-bit word"));
        }
        if (level == QuantLevel.BLOCK) {
            if (block.length == 0) {
                out.add(new SchemeProblem("blockSize", "Block level needs at least one block extent",
                        "give blockSize one to " + MAX_BLOCK_RANK + " extents, e.g. blockSize = 32"));
            }
            if (block.length > MAX_BLOCK_RANK) {
                out.add(new SchemeProblem("blockSize",
                        "A block has at most " + MAX_BLOCK_RANK + " extents, got " + block.length + " "
                                + Arrays.toString(block),
                        "drop extents: a block is right-aligned to the tensor's trailing dimensions"));
            }
            for (int i = 0; i < block.length; i++) {
                if (block[i] < 1) {
                    out.add(new SchemeProblem("blockSize",
                            "Block extent " + i + " is " + block[i] + " in " + Arrays.toString(block)
                                    + "; extents must be at least 1",
                            "use positive block extents, e.g. blockSize = 32"));
                }
            }
        }
        if (calibration.isSearch() && value.isFloat()) {
            out.add(new SchemeProblem("calibration",
                    "Calibration " + calibration + " searches integer codes; " + value + " is a float value",
                    "use an integer value (q8f q8s q4f q4s q2f q2s) with " + calibration + ", or calibration = MIN_MAX"));
        }
        return out;
    }

    /** True when {@link #problems()} is empty. */
    public boolean isValid() {
        return problems().isEmpty();
    }

    /** Throws {@link InvalidSchemeException} listing every problem, or returns this scheme. */
    public QuantScheme validate() {
        List<SchemeProblem> p = problems();
        if (!p.isEmpty()) {
            throw new InvalidSchemeException("invalid quantization scheme " + this, p);
        }
        return this;
    }

    /**
     * The problems of using this scheme on a tensor of the given shape: the scheme's own problems,
     * then a block with more extents than the tensor has dimensions.
     */
    public List<SchemeProblem> problemsFor(int[] shape) {
        List<SchemeProblem> out = problems();
        if (level == QuantLevel.BLOCK && block.length > shape.length) {
            out = new ArrayList<>(out);
            out.add(new SchemeProblem("blockSize",
                    "Block " + blockToken() + " has " + block.length + " extents but the tensor has only "
                            + shape.length + " dimensions " + Arrays.toString(shape),
                    "use a block with at most " + shape.length + " extents, or the tensor level"));
        }
        return out;
    }

    /**
     * The block shape for a tensor of the given rank: the extents right-aligned and left-padded with 1;
     * for the tensor level, the whole shape (one block). The tensor's shape must have rank >= blockRank().
     */
    public int[] blockShapeFor(int[] shape) {
        int[] b = new int[shape.length];
        if (level == QuantLevel.TENSOR) {
            for (int i = 0; i < shape.length; i++) {
                b[i] = Math.max(shape[i], 1);
            }
            return b;
        }
        int pad = shape.length - block.length;
        if (pad < 0) {
            throw new IllegalArgumentException("block " + blockToken() + " has more extents than the tensor's "
                    + shape.length + " dimensions");
        }
        Arrays.fill(b, 0, pad, 1);
        System.arraycopy(block, 0, b, pad, block.length);
        return b;
    }

    private String blockToken() {
        StringBuilder sb = new StringBuilder("block");
        for (int i = 0; i < block.length; i++) {
            if (i > 0) {
                sb.append('x');
            }
            sb.append(block[i]);
        }
        return sb.toString();
    }

    /** The level part of the text form: {@code tensor} or {@code blockAxB...}. */
    public String levelToken() {
        return level == QuantLevel.TENSOR ? "tensor" : blockToken();
    }

    /**
     * The canonical text form {@code VALUE:LEVEL:PARAM:STORE[:CALIBRATION]}, e.g. {@code q4f:block32:f16:u32}
     * or {@code q4f:block32:f16:u32:mse}. The calibration is written only when it is not the default
     * MIN_MAX, so every MIN_MAX scheme prints as before. Mode has a single choice and is not written.
     */
    @Override
    public String toString() {
        String stored = storedForm();
        return calibration == Calibration.MIN_MAX ? stored : stored + ":" + calibration.token();
    }

    /**
     * The four parts that say how codes and scales are laid out and read, {@code VALUE:LEVEL:PARAM:STORE},
     * without the calibration (which only says how the scales were chosen): what a file records.
     */
    public String storedForm() {
        return value.token() + ":" + levelToken() + ":" + param.token() + ":" + store.name().toLowerCase(Locale.ROOT);
    }

    /**
     * Reads a scheme in text form: up to five parts separated by {@code ':'}, in any order, each at
     * most once (values {@code q8f..e2m1}, levels {@code tensor}/{@code blockN[xN...]}, params
     * {@code f32 f16 bf16 ue8m0}, stores {@code u32 native}, calibrations {@code minmax mse imatrix});
     * missing parts take the defaults {@code tensor}, {@code f32}, {@code u32}, {@code minmax}; the value
     * is required. Case does not matter. The result is
     * not validated: call {@link #validate()} or {@link #problems()}.
     *
     * @throws SchemeParseException naming the bad part and what was expected
     */
    public static QuantScheme parse(String text) {
        if (text == null || text.isBlank()) {
            throw new SchemeParseException(String.valueOf(text), "the scheme is empty",
                    "write VALUE[:LEVEL][:PARAM][:STORE], e.g. q4f:block32:f16:u32");
        }
        String trimmed = text.strip();
        QuantValue v = null;
        QuantLevel l = null;
        int[] b = null;
        QuantParam p = null;
        QuantStore s = null;
        Calibration c = null;
        for (String raw : trimmed.split(":", -1)) {
            String t = raw.strip().toLowerCase(Locale.ROOT);
            if (t.isEmpty()) {
                throw new SchemeParseException(trimmed, "it has an empty part", "remove the extra ':'");
            }
            QuantValue tv = valueToken(t);
            QuantParam tp = paramToken(t);
            QuantStore ts = storeToken(t);
            Calibration tc = calibrationToken(t);
            if (tv != null) {
                if (v != null) {
                    throw duplicate(trimmed, "value", v.token(), t);
                }
                v = tv;
            } else if (tp != null) {
                if (p != null) {
                    throw duplicate(trimmed, "param", p.token(), t);
                }
                p = tp;
            } else if (ts != null) {
                if (s != null) {
                    throw duplicate(trimmed, "store", s.name().toLowerCase(Locale.ROOT), t);
                }
                s = ts;
            } else if (tc != null) {
                if (c != null) {
                    throw duplicate(trimmed, "calibration", c.token(), t);
                }
                c = tc;
            } else if (t.equals("tensor") || t.startsWith("block")) {
                if (l != null) {
                    throw duplicate(trimmed, "level", l == QuantLevel.TENSOR ? "tensor" : "block", t);
                }
                if (t.equals("tensor")) {
                    l = QuantLevel.TENSOR;
                } else {
                    l = QuantLevel.BLOCK;
                    b = parseBlock(trimmed, t);
                }
            } else {
                throw new SchemeParseException(trimmed, "'" + raw.strip() + "' is not a scheme part",
                        "use a value (q8f q8s q4f q4s q2f q2s e4m3 e5m2 e2m1), a level (tensor, block32, "
                                + "block2x16), a param (f32 f16 bf16 ue8m0), a store (u32 native) or a calibration "
                                + "(minmax mse imatrix)");
            }
        }
        if (v == null) {
            throw new SchemeParseException(trimmed, "it names no value",
                    "start with one of q8f q8s q4f q4s q2f q2s e4m3 e5m2 e2m1");
        }
        QuantScheme out = DEFAULT.withValue(v);
        if (l == QuantLevel.BLOCK) {
            out = out.withBlockSize(b);
        }
        if (p != null) {
            out = out.withParam(p);
        }
        if (s != null) {
            out = out.withStore(s);
        }
        if (c != null) {
            out = out.withCalibration(c);
        }
        return out;
    }

    private static SchemeParseException duplicate(String text, String part, String first, String second) {
        return new SchemeParseException(text, "it gives the " + part + " twice ('" + first + "' and '" + second + "')",
                "keep one " + part);
    }

    private static int[] parseBlock(String text, String token) {
        String body = token.substring("block".length());
        if (body.isEmpty()) {
            throw new SchemeParseException(text, "'" + token + "' has no extents", "write e.g. block32 or block2x16");
        }
        String[] parts = body.split("x", -1);
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String d = parts[i];
            if (d.isEmpty() || d.length() > 9 || !d.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new SchemeParseException(text, "'" + token + "' has a bad extent '" + d + "'",
                        "extents are positive integers joined by 'x', e.g. block2x16");
            }
            out[i] = Integer.parseInt(d);
        }
        return out;
    }

    private static QuantValue valueToken(String t) {
        for (QuantValue v : QuantValue.values()) {
            if (v.token().equals(t)) {
                return v;
            }
        }
        return null;
    }

    private static QuantParam paramToken(String t) {
        for (QuantParam p : QuantParam.values()) {
            if (p.token().equals(t)) {
                return p;
            }
        }
        return null;
    }

    private static Calibration calibrationToken(String t) {
        for (Calibration c : Calibration.values()) {
            if (c.token().equals(t)) {
                return c;
            }
        }
        return null;
    }

    private static QuantStore storeToken(String t) {
        for (QuantStore s : QuantStore.values()) {
            if (s.name().toLowerCase(Locale.ROOT).equals(t)) {
                return s;
            }
        }
        return null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof QuantScheme q && value == q.value && level == q.level && Arrays.equals(block, q.block)
                && store == q.store && param == q.param && mode == q.mode && calibration == q.calibration;
    }

    @Override
    public int hashCode() {
        return Objects.hash(value, level, Arrays.hashCode(block), store, param, mode, calibration);
    }
}

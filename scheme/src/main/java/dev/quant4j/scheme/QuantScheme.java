package dev.quant4j.scheme;

import dev.quant4j.annotations.ActivationCalibration;
import dev.quant4j.annotations.ActivationMode;
import dev.quant4j.annotations.Calibration;
import dev.quant4j.annotations.QuantLevel;
import dev.quant4j.annotations.QuantMode;
import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantStore;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.annotations.Quantize;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Function;

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
 *
 * @param value the quantized value type
 * @param level per tensor or per block
 * @param blockSize the block extents in canonical form (no leading 1s); empty for the tensor level
 * @param store how codes are stored
 * @param param the type of the scales
 * @param mode symmetric or affine
 * @param calibration how the weights' scales are chosen
 * @param activations how the input activations of the weight's linear layer are quantized (docs/PROCESSOR.md);
 *     {@link ActivationMode#NONE} keeps them float32
 * @param activationCalibration how static activation quantization finds its scales;
 *     {@link ActivationCalibration#NONE} when not chosen
 */
public record QuantScheme(
        QuantValue value,
        QuantLevel level,
        int[] blockSize,
        QuantStore store,
        QuantParam param,
        QuantMode mode,
        Calibration calibration,
        ActivationMode activations,
        ActivationCalibration activationCalibration) {
    /** The most extents a block may have. */
    public static final int MAX_BLOCK_RANK = 5;

    /**
     * The block extent a block-level scheme gets when none is given ({@code @Quantize(level = BLOCK)},
     * {@link #withLevel withLevel(BLOCK)}): the annotation's {@link Quantize#DEFAULT_BLOCK_EXTENT}.
     */
    public static final int DEFAULT_BLOCK_EXTENT = Quantize.DEFAULT_BLOCK_EXTENT;

    /**
     * Burn's default: Q8S, per tensor, U32 store, F32 scales, symmetric, min-max, float32 activations
     * (no activation quantization, no activation calibration). This is the one
     * declaration of the defaults: the text form's missing parts and the processor's attribute-by-attribute
     * combination start from it, and a test pins the annotation defaults of {@code @Quantize} and
     * {@code @QuantizeDefaults} (which cannot call code) to it and to {@link #DEFAULT_BLOCK_EXTENT}.
     */
    public static final QuantScheme DEFAULT = new QuantScheme(
            QuantValue.Q8S,
            QuantLevel.TENSOR,
            new int[0],
            QuantStore.U32,
            QuantParam.F32,
            QuantMode.SYMMETRIC,
            Calibration.MIN_MAX,
            ActivationMode.NONE,
            ActivationCalibration.NONE);

    /**
     * Every part as given, with the block extents made canonical (empty for the tensor level); the scheme
     * is not validated ({@link #problems()}).
     */
    public QuantScheme {
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(level, "level");
        blockSize = level == QuantLevel.TENSOR ? new int[0] : canonicalBlock(blockSize);
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(param, "param");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(calibration, "calibration");
        Objects.requireNonNull(activations, "activations");
        Objects.requireNonNull(activationCalibration, "activationCalibration");
    }

    /**
     * Builds a scheme from all of its weight parts (the shape an annotation provides), with float32
     * activations; {@link #withActivations} and {@link #withActivationCalibration} set those.
     */
    public static QuantScheme of(
            QuantValue value,
            QuantLevel level,
            int[] blockSize,
            QuantStore store,
            QuantParam param,
            QuantMode mode,
            Calibration calibration) {
        return new QuantScheme(
                value,
                level,
                blockSize == null ? new int[0] : blockSize,
                store,
                param,
                mode,
                calibration,
                ActivationMode.NONE,
                ActivationCalibration.NONE);
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
        return new QuantScheme(
                v, level, blockSize, store, param, mode, calibration, activations, activationCalibration);
    }

    /** Sets the level; {@code BLOCK} keeps the current extents ({@link #DEFAULT_BLOCK_EXTENT} if there are none). */
    public QuantScheme withLevel(QuantLevel l) {
        int[] b = l == QuantLevel.BLOCK && blockSize.length == 0 ? new int[] {DEFAULT_BLOCK_EXTENT} : blockSize;
        return new QuantScheme(value, l, b, store, param, mode, calibration, activations, activationCalibration);
    }

    /** Sets block level with these extents, right-aligned to the tensor's trailing dimensions. */
    public QuantScheme withBlockSize(int... extents) {
        return new QuantScheme(
                value,
                QuantLevel.BLOCK,
                extents.clone(),
                store,
                param,
                mode,
                calibration,
                activations,
                activationCalibration);
    }

    public QuantScheme withStore(QuantStore s) {
        return new QuantScheme(
                value, level, blockSize, s, param, mode, calibration, activations, activationCalibration);
    }

    public QuantScheme withParam(QuantParam p) {
        return new QuantScheme(
                value, level, blockSize, store, p, mode, calibration, activations, activationCalibration);
    }

    public QuantScheme withMode(QuantMode m) {
        return new QuantScheme(
                value, level, blockSize, store, param, m, calibration, activations, activationCalibration);
    }

    public QuantScheme withCalibration(Calibration c) {
        return new QuantScheme(value, level, blockSize, store, param, mode, c, activations, activationCalibration);
    }

    /** The block extents in canonical form (no leading 1s); empty for the tensor level. */
    public int[] blockSize() {
        return blockSize.clone();
    }

    /** Number of block extents (0 for the tensor level). */
    public int blockRank() {
        return blockSize.length;
    }

    /** One block extent, counted from the left of the canonical form. */
    public int blockExtent(int i) {
        return blockSize[i];
    }

    // Activations: how the input of the weight's linear layer is quantized (docs/PROCESSOR.md).

    /** Sets how the input activations of the weight's linear layer are quantized. */
    public QuantScheme withActivations(ActivationMode a) {
        return new QuantScheme(value, level, blockSize, store, param, mode, calibration, a, activationCalibration);
    }

    /** Sets how {@link ActivationMode#STATIC} finds its scales. */
    public QuantScheme withActivationCalibration(ActivationCalibration c) {
        return new QuantScheme(value, level, blockSize, store, param, mode, calibration, activations, c);
    }

    /**
     * Every problem of this scheme on its own, in a stable order; empty when it is valid. This is the
     * single validation routine: the annotation processor and the runtime both report from it.
     */
    public List<SchemeProblem> problems() {
        List<SchemeProblem> out = new ArrayList<>();
        if (value.isSubByte() && store == QuantStore.NATIVE) {
            String perWord = " to pack " + (32 / value.bits()) + " codes per 32-bit word";
            out.add(new SchemeProblem(
                    SchemeProblem.Rule.SUB_BYTE_NATIVE,
                    "store",
                    "Native storage is not supported for sub-byte quantization values (" + value + " has "
                            + value.bits() + " bits)",
                    "use store = U32" + perWord,
                    "write u32 instead of native" + perWord));
        }
        if (level == QuantLevel.BLOCK) {
            if (blockSize.length == 0) {
                out.add(new SchemeProblem(
                        SchemeProblem.Rule.BLOCK_WITHOUT_EXTENTS,
                        "blockSize",
                        "Block level needs at least one block extent",
                        "give blockSize one to " + MAX_BLOCK_RANK + " extents, e.g. blockSize = "
                                + DEFAULT_BLOCK_EXTENT,
                        "give the block one to " + MAX_BLOCK_RANK + " extents, e.g. block" + DEFAULT_BLOCK_EXTENT));
            }
            if (blockSize.length > MAX_BLOCK_RANK) {
                String fix = "drop extents: a block is right-aligned to the tensor's trailing dimensions";
                out.add(new SchemeProblem(
                        SchemeProblem.Rule.TOO_MANY_BLOCK_EXTENTS,
                        "blockSize",
                        "A block has at most " + MAX_BLOCK_RANK + " extents, got " + blockSize.length + " "
                                + Arrays.toString(blockSize),
                        fix,
                        fix));
            }
            for (int i = 0; i < blockSize.length; i++) {
                if (blockSize[i] < 1) {
                    out.add(new SchemeProblem(
                            SchemeProblem.Rule.BLOCK_EXTENT_BELOW_ONE,
                            "blockSize",
                            "Block extent " + i + " is " + blockSize[i] + " in " + Arrays.toString(blockSize)
                                    + "; extents must be at least 1",
                            "use positive block extents, e.g. blockSize = " + DEFAULT_BLOCK_EXTENT,
                            "use positive block extents, e.g. block" + DEFAULT_BLOCK_EXTENT));
                }
            }
        }
        if (calibration.isSearch() && value.isFloat()) {
            out.add(new SchemeProblem(
                    SchemeProblem.Rule.SEARCH_NEEDS_INTEGER_VALUE,
                    "calibration",
                    "Calibration " + calibration + " searches integer codes; " + value + " is a float value",
                    "use an integer value (q8f q8s q4f q4s q2f q2s) with " + calibration + ", or calibration = MIN_MAX",
                    "use an integer value (q8f q8s q4f q4s q2f q2s) with " + token(calibration) + ", or remove "
                            + token(calibration)));
        }
        if (mode == QuantMode.AFFINE) {
            affineProblems(out);
        }
        activationProblems(out);
        return out;
    }

    /**
     * The rules of the affine mode (docs/NUMERICS.md, "The affine mode"): unsigned codes over all
     * {@code 2^bits} levels, so a full-range integer value; an offset of either sign in the param type, so
     * not UE8M0; scale and offset from the block's min and max, so MinMax calibration.
     */
    private void affineProblems(List<SchemeProblem> out) {
        if (!value.isFloat() && value.minCode() == -value.maxCode()) {
            String full = value.token().replace('s', 'f');
            out.add(new SchemeProblem(
                    SchemeProblem.Rule.AFFINE_NEEDS_FULL_RANGE_VALUE,
                    "mode",
                    "Affine mode uses all " + (1 << value.bits()) + " codes of " + value.bits() + " bits (0 to "
                            + ((1 << value.bits()) - 1) + "), and " + value + " is a symmetric value that leaves"
                            + " one out",
                    "use value = " + full.toUpperCase(Locale.ROOT) + " with mode = AFFINE, or mode = SYMMETRIC",
                    "use " + full + " instead of " + value.token() + " with affine, or remove affine"));
        } else if (value.isFloat()) {
            out.add(new SchemeProblem(
                    SchemeProblem.Rule.AFFINE_NEEDS_FULL_RANGE_VALUE,
                    "mode",
                    "Affine mode is for integer codes, and " + value + " is a float value",
                    "use value = Q8F, Q4F or Q2F with mode = AFFINE, or mode = SYMMETRIC",
                    "use q8f, q4f or q2f with affine, or remove affine"));
        }
        if (param == QuantParam.UE8M0) {
            out.add(new SchemeProblem(
                    SchemeProblem.Rule.AFFINE_NEEDS_SIGNED_PARAM,
                    "param",
                    "Affine mode stores a signed offset per block in the param type, and UE8M0 holds only"
                            + " positive powers of two",
                    "use param = F16, BF16 or F32 with mode = AFFINE",
                    "use f16, bf16 or f32 instead of ue8m0 with affine"));
        }
        if (calibration != Calibration.MIN_MAX) {
            out.add(new SchemeProblem(
                    SchemeProblem.Rule.AFFINE_NEEDS_MIN_MAX,
                    "calibration",
                    "Affine mode takes its scale and offset from each block's min and max; calibration " + calibration
                            + " searches symmetric scales",
                    "use calibration = MIN_MAX with mode = AFFINE, or mode = SYMMETRIC",
                    "remove " + token(calibration) + ", or remove affine"));
        }
    }

    /** The rules of activation quantization that do not depend on the tensor. */
    private void activationProblems(List<SchemeProblem> out) {
        if (activations == ActivationMode.STATIC && activationCalibration == ActivationCalibration.NONE) {
            out.add(new SchemeProblem(
                    SchemeProblem.Rule.STATIC_WITHOUT_CALIBRATION,
                    "activations",
                    "Static activation quantization needs a calibration method to find its frozen scales",
                    "set activationCalibration = MIN_MAX, MOVING_AVERAGE_MIN_MAX, PERCENTILE or ENTROPY",
                    "add minmax, movingminmax, percentile or entropy"));
        }
        if (activations != ActivationMode.STATIC && activationCalibration != ActivationCalibration.NONE) {
            out.add(new SchemeProblem(
                    SchemeProblem.Rule.CALIBRATION_WITHOUT_STATIC,
                    "activationCalibration",
                    "Activation calibration " + activationCalibration + " is only used by static activation"
                            + " quantization, and the activations are " + activations,
                    "set activations = STATIC, or remove activationCalibration",
                    "add a8static, or remove " + token(activationCalibration)));
        }
        if (activations != ActivationMode.NONE && value.isFloat()) {
            out.add(new SchemeProblem(
                    SchemeProblem.Rule.ACTIVATIONS_NEED_INTEGER_WEIGHTS,
                    "activations",
                    activations + " activation quantization multiplies int8 activations by integer weight codes,"
                            + " and " + value + " is a float value",
                    "use an integer value (Q8S, Q8F, Q4S, Q4F, Q2S, Q2F), or activations = NONE",
                    "use an integer value (q8s q8f q4s q4f q2s q2f), or remove " + token(activations)));
        }
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
        return problemsForRank(shape.length, " " + Arrays.toString(shape));
    }

    /**
     * The problems of using this scheme on a tensor of the given rank (number of dimensions): the scheme's
     * own problems, then {@link SchemeProblem.Rule#BLOCK_RANK_ABOVE_TENSOR_RANK} when the block has more
     * extents than that. This is the rank rule for callers that know the rank but not the shape, such as
     * the annotation processor.
     */
    public List<SchemeProblem> problemsForRank(int rank) {
        return problemsForRank(rank, "");
    }

    private List<SchemeProblem> problemsForRank(int rank, String shapeText) {
        List<SchemeProblem> out = problems();
        if (level == QuantLevel.BLOCK && blockSize.length > rank) {
            String fix = "use a block with at most " + rank + " extents, or the tensor level";
            out.add(new SchemeProblem(
                    SchemeProblem.Rule.BLOCK_RANK_ABOVE_TENSOR_RANK,
                    "blockSize",
                    "Block " + blockToken() + " has " + blockSize.length + " extents but the tensor has only " + rank
                            + " dimensions" + shapeText,
                    fix,
                    fix));
        }
        if (activations != ActivationMode.NONE && rank != 2) {
            out.add(new SchemeProblem(
                    SchemeProblem.Rule.ACTIVATIONS_NEED_MATRIX,
                    "activations",
                    activations + " activation quantization is for the [out, in] weight matrix of a linear layer,"
                            + " and the tensor has " + rank + (rank == 1 ? " dimension" : " dimensions") + shapeText,
                    "leave this field's activations at NONE",
                    "remove " + token(activations) + " for this tensor"));
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
        int pad = shape.length - blockSize.length;
        if (pad < 0) {
            throw new IllegalArgumentException(
                    "block " + blockToken() + " has more extents than the tensor's " + shape.length + " dimensions");
        }
        Arrays.fill(b, 0, pad, 1);
        System.arraycopy(blockSize, 0, b, pad, blockSize.length);
        return b;
    }

    private String blockToken() {
        StringBuilder sb = new StringBuilder("block");
        for (int i = 0; i < blockSize.length; i++) {
            if (i > 0) {
                sb.append('x');
            }
            sb.append(blockSize[i]);
        }
        return sb.toString();
    }

    /** The level part of the text form: {@code tensor} or {@code blockAxB...}. */
    public String levelToken() {
        return level == QuantLevel.TENSOR ? "tensor" : blockToken();
    }

    /**
     * The canonical text form {@code VALUE:LEVEL:PARAM:STORE}, e.g. {@code q4f:block32:f16:u32}, then the
     * weights' calibration when it is a search ({@code q4f:block32:f16:u32:mse}; MIN_MAX, the default, is
     * not written, so every MinMax scheme prints as before), then the activations and their calibration
     * where set ({@code q8s:tensor:f32:u32:a8static:minmax}). The mode follows the store when it is affine
     * ({@code q4f:block32:f16:u32:affine}); symmetric, the default, is not written.
     */
    @Override
    public String toString() {
        return text(true);
    }

    /**
     * The text form without the weights' calibration, which only says how the scales were chosen and
     * changes nothing about reading them: what a file records ({@code q4f:block32:f16:u32} for a scheme
     * whose {@code toString} is {@code q4f:block32:f16:u32:mse}).
     */
    public String storedForm() {
        return text(false);
    }

    private String text(boolean withCalibration) {
        String weights = value.token() + ":" + levelToken() + ":" + param.token() + ":" + token(store)
                + (mode == QuantMode.SYMMETRIC ? "" : ":" + token(mode));
        return weights
                + (!withCalibration || calibration == Calibration.MIN_MAX ? "" : ":" + token(calibration))
                + (activations == ActivationMode.NONE ? "" : ":" + token(activations))
                + (activationCalibration == ActivationCalibration.NONE ? "" : ":" + token(activationCalibration));
    }

    /**
     * Reads a scheme in text form: parts separated by {@code ':'}, in any order, each kind at most once
     * (values {@code q8f..e2m1}, levels {@code tensor}/{@code blockN[xN...]}, params
     * {@code f32 f16 bf16 ue8m0}, stores {@code u32 native}, the mode {@code affine}, weight calibrations {@code mse imatrix gptq},
     * activations {@code a8dyn a8static}, activation calibrations {@code minmax movingminmax percentile
     * entropy}); missing parts take the defaults {@code tensor}, {@code f32}, {@code u32}, MinMax weight
     * calibration, float32 activations; the value is required. Case does not
     * matter. The result is not validated: call {@link #validate()} or {@link #problems()}.
     *
     * @throws SchemeParseException naming the bad part and what was expected
     */
    public static QuantScheme parse(String text) {
        if (text == null || text.isBlank()) {
            throw new SchemeParseException(
                    String.valueOf(text),
                    "the scheme is empty",
                    "write VALUE[:LEVEL][:PARAM][:STORE], e.g. q4f:block32:f16:u32");
        }
        String trimmed = text.strip();
        QuantLevel l = null;
        int[] b = null;
        Part<QuantMode> m = new Part<>("mode", QuantMode.values(), QuantScheme::token);
        Part<Calibration> c = new Part<>("calibration", Calibration.values(), QuantScheme::token);
        Part<ActivationMode> a = new Part<>("activations", ActivationMode.values(), QuantScheme::token);
        Part<ActivationCalibration> ac =
                new Part<>("activation calibration", ActivationCalibration.values(), QuantScheme::token);
        Part<QuantValue> v = new Part<>("value", QuantValue.values(), QuantValue::token);
        Part<QuantParam> p = new Part<>("param", QuantParam.values(), QuantParam::token);
        Part<QuantStore> s = new Part<>("store", QuantStore.values(), QuantScheme::token);
        // The kinds in the order a word is tried: the first whose word it is takes it.
        List<Part<?>> parts = List.of(m, c, a, ac, v, p, s);
        for (String raw : trimmed.split(":", -1)) {
            String t = raw.strip().toLowerCase(Locale.ROOT);
            if (t.isEmpty()) {
                throw new SchemeParseException(trimmed, "it has an empty part", "remove the extra ':'");
            }
            if (readsAsOneOf(parts, trimmed, t)) {
                continue;
            }
            if (t.equals("tensor") || t.startsWith("block")) {
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
                throw new SchemeParseException(
                        trimmed,
                        "'" + raw.strip() + "' is not a scheme part",
                        "use a value (q8f q8s q4f q4s q2f q2s e4m3 e5m2 e2m1), a level (tensor, block32, "
                                + "block2x16), a param (f32 f16 bf16 ue8m0), a store (u32 native), the mode affine, a weight "
                                + "calibration (mse imatrix gptq), activations (a8dyn a8static) or an activation calibration (minmax movingminmax percentile "
                                + "entropy)");
            }
        }
        if (v.given == null) {
            throw new SchemeParseException(
                    trimmed, "it names no value", "start with one of q8f q8s q4f q4s q2f q2s e4m3 e5m2 e2m1");
        }
        QuantScheme out = DEFAULT.withValue(v.given);
        if (l == QuantLevel.BLOCK) {
            out = out.withBlockSize(b);
        }
        out = given(out, p.given, QuantScheme::withParam);
        out = given(out, s.given, QuantScheme::withStore);
        out = given(out, c.given, QuantScheme::withCalibration);
        out = given(out, m.given, QuantScheme::withMode);
        out = given(out, a.given, QuantScheme::withActivations);
        out = given(out, ac.given, QuantScheme::withActivationCalibration);
        return out;
    }

    /** {@code scheme} with the part the text gave, or as it is where the text gave none. */
    private static <T> QuantScheme given(QuantScheme scheme, T part, BiFunction<QuantScheme, T, QuantScheme> with) {
        return part == null ? scheme : with.apply(scheme, part);
    }

    private static SchemeParseException duplicate(String text, String part, String first, String second) {
        return new SchemeParseException(
                text, "it gives the " + part + " twice ('" + first + "' and '" + second + "')", "keep one " + part);
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
                throw new SchemeParseException(
                        text,
                        "'" + token + "' has a bad extent '" + d + "'",
                        "extents are positive integers joined by 'x', e.g. block2x16");
            }
            out[i] = Integer.parseInt(d);
        }
        return out;
    }

    /** The part {@code t} names among {@code values}, or null. */
    private static <E extends Enum<E>> E byToken(E[] values, Function<E, String> token, String t) {
        for (E e : values) {
            if (t.equals(token.apply(e))) {
                return e;
            }
        }
        return null;
    }

    /**
     * One kind of part of the text form, while a text is read: the name messages give it, its constants and
     * their words, and the constant the text gave (null until then).
     */
    private static final class Part<E extends Enum<E>> {
        private final String kind;
        private final E[] values;
        private final Function<E, String> token;
        private E given;

        Part(String kind, E[] values, Function<E, String> token) {
            this.kind = kind;
            this.values = values;
            this.token = token;
        }

        /** Takes word {@code t} when it is one of this kind's; throws when the text gave this kind already. */
        boolean read(String text, String t) {
            E found = byToken(values, token, t);
            if (found == null) {
                return false;
            }
            if (given != null) {
                throw duplicate(text, kind, token.apply(given), token.apply(found));
            }
            given = found;
            return true;
        }
    }

    /** True when one of {@code parts}, the first in order whose word {@code t} is, took it. */
    private static boolean readsAsOneOf(List<Part<?>> parts, String text, String t) {
        for (Part<?> part : parts) {
            if (part.read(text, t)) {
                return true;
            }
        }
        return false;
    }

    /** A store's part in the text form: {@code u32} or {@code native}. */
    public static String token(QuantStore s) {
        return word(s);
    }

    /**
     * A weight calibration's part in the text form: {@code mse}, {@code imatrix}, {@code gptq}; null for
     * MIN_MAX, the default, which is not written (and whose word {@code minmax} belongs to the activation
     * calibrations).
     */
    public static String token(Calibration c) {
        return c == Calibration.MIN_MAX ? null : word(c);
    }

    /** A mode's part in the text form: {@code affine}; null for SYMMETRIC, the default, not written. */
    public static String token(QuantMode m) {
        return m == QuantMode.SYMMETRIC ? null : word(m);
    }

    /** An activation mode's part in the text form: {@code a8dyn}, {@code a8static}; null for NONE, not written. */
    public static String token(ActivationMode a) {
        return switch (a) {
            case NONE -> null;
            case DYNAMIC -> "a8dyn";
            case STATIC -> "a8static";
        };
    }

    /** An activation calibration's part in the text form, e.g. {@code minmax}; null for NONE, not written. */
    public static String token(ActivationCalibration c) {
        return switch (c) {
            case NONE -> null;
            case MIN_MAX -> "minmax";
            case MOVING_AVERAGE_MIN_MAX -> "movingminmax";
            case PERCENTILE -> "percentile";
            case ENTROPY -> "entropy";
        };
    }

    /**
     * The word of a store, a weight calibration or a mode in the text form: the constant's name in lower case.
     * The value, the param, the activation mode and the activation calibration have words of their own
     * ({@code a8dyn}, {@code movingminmax}).
     */
    private static String word(Enum<?> part) {
        return part.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof QuantScheme q
                && value == q.value
                && level == q.level
                && Arrays.equals(blockSize, q.blockSize)
                && store == q.store
                && param == q.param
                && mode == q.mode
                && calibration == q.calibration
                && activations == q.activations
                && activationCalibration == q.activationCalibration;
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                value,
                level,
                Arrays.hashCode(blockSize),
                store,
                param,
                mode,
                calibration,
                activations,
                activationCalibration);
    }
}

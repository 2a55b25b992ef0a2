package dev.quant4j.scheme;

/**
 * One thing wrong with a {@link QuantScheme}, with its fix written twice: once in the words of the
 * annotations ({@code use store = U32 ...}), for the compiler's errors, and once in the words of the text
 * form ({@code write u32 instead of native ...}), for scheme constants, the CLI and other text.
 *
 * @param rule          which rule of {@link QuantScheme} the scheme breaks
 * @param attribute     the scheme part at fault, named as the {@code @Quantize} attribute that sets it
 *                      ({@code value}, {@code level}, {@code blockSize}, {@code store}, {@code param},
 *                      {@code mode}, {@code calibration}), so that a compiler error can point at it
 * @param message       what is wrong
 * @param annotationFix what to do about it, in terms of the {@code @Quantize} attributes
 * @param textFix       what to do about it, in terms of the text form ({@link QuantScheme#parse})
 */
public record SchemeProblem(Rule rule, String attribute, String message, String annotationFix, String textFix) {
    /** The rules {@link QuantScheme#problems()} and {@link QuantScheme#problemsForRank(int)} check. */
    public enum Rule {
        /** A value narrower than a byte cannot be stored one code per byte. */
        SUB_BYTE_NATIVE,
        /** Block level with no extents. */
        BLOCK_WITHOUT_EXTENTS,
        /** More block extents than {@link QuantScheme#MAX_BLOCK_RANK}. */
        TOO_MANY_BLOCK_EXTENTS,
        /** A block extent below 1. */
        BLOCK_EXTENT_BELOW_ONE,
        /** More block extents than the tensor has dimensions. */
        BLOCK_RANK_ABOVE_TENSOR_RANK,
        /** Static activation quantization with no calibration method to find its scales. */
        STATIC_WITHOUT_CALIBRATION,
        /** An activation calibration method without static activation quantization, which alone uses it. */
        CALIBRATION_WITHOUT_STATIC,
        /** Quantized (int8) activations with a float weight value, which the integer kernels cannot multiply. */
        ACTIVATIONS_NEED_INTEGER_WEIGHTS,
        /** A scale search (MSE, IMATRIX) on a float value: the searches choose integer codes. */
        SEARCH_NEEDS_INTEGER_VALUE,
        /** Quantized activations on a tensor that is not the 2-D {@code [out, in]} weight matrix of a linear layer. */
        ACTIVATIONS_NEED_MATRIX,
        /** Affine mode on a value that does not use all {@code 2^bits} codes (a symmetric or float value). */
        AFFINE_NEEDS_FULL_RANGE_VALUE,
        /** Affine mode with UE8M0 params, which cannot hold a signed offset. */
        AFFINE_NEEDS_SIGNED_PARAM,
        /** Affine mode with a scale search, which chooses symmetric scales. */
        AFFINE_NEEDS_MIN_MAX
    }

    /** The problem with its fix in annotation form, as runtime exceptions have always printed it. */
    @Override
    public String toString() {
        return message + " (" + attribute + "): " + annotationFix;
    }

    /** The problem with its fix in text form: {@code message (attribute): textFix}. */
    public String toTextString() {
        return message + " (" + attribute + "): " + textFix;
    }
}

package dev.quant4j.io;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import dev.quant4j.annotations.QuantLevel;
import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantStore;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.BlockLayout;
import dev.quant4j.tensor.Packing;
import dev.quant4j.tensor.Shapes;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * How a quantized tensor {@code NAME} is laid out in a safetensors file (docs/FILE-FORMAT.md): a codes
 * tensor named {@code NAME}, a scales tensor named {@code NAME.__scales}, and the metadata entry
 * {@code quant4j.NAME} = {@code {"scheme":"q4f:block32:f16:u32","shape":[384,1536]}}. Every part uses
 * standard dtypes, so any safetensors reader opens the file; only the metadata says how to read them.
 */
public final class QuantizedLayout {
    /** Appended to a quantized tensor's name to name its scales tensor. */
    public static final String SCALES_SUFFIX = ".__scales";
    /** Appended to an affine tensor's name to name its offsets tensor (the scales' dtype and shape). */
    public static final String OFFSETS_SUFFIX = ".__offsets";
    /** Prefix of the metadata keys that describe quantized tensors; reserved for quant4j. */
    public static final String METADATA_PREFIX = "quant4j.";

    private QuantizedLayout() {}

    public static String scalesName(String name) {
        return name + SCALES_SUFFIX;
    }

    public static String offsetsName(String name) {
        return name + OFFSETS_SUFFIX;
    }

    public static String metadataKey(String name) {
        return METADATA_PREFIX + name;
    }

    /**
     * The dtype of the codes tensor: U32 words for the U32 store; for the NATIVE store (one byte per
     * code) I8 for integer codes (they are int8 values), U8 for affine codes (unsigned), F8_E4M3 / F8_E5M2
     * for the 8-bit floats (so other readers see the codes as the float8 types they are).
     */
    public static Dtype codesDtype(QuantScheme scheme) {
        if (scheme.store() == QuantStore.U32) {
            return Dtype.U32;
        }
        if (scheme.mode() == dev.quant4j.annotations.QuantMode.AFFINE) {
            return Dtype.U8;
        }
        return switch (scheme.value()) {
            case E4M3 -> Dtype.F8_E4M3;
            case E5M2 -> Dtype.F8_E5M2;
            default -> Dtype.I8;
        };
    }

    /** The shape of the codes tensor: {@code [words]} for U32, the tensor's own shape for NATIVE. */
    public static long[] codesShape(int[] shape, QuantScheme scheme) {
        long n = elementCount(shape);
        if (scheme.store() == QuantStore.U32) {
            return new long[] {Packing.words(n, scheme.value())};
        }
        return toLong(shape);
    }

    /** The dtype the scales are stored in: F32, F16, BF16, and U8 (the biased exponent) for UE8M0. */
    public static Dtype scalesDtype(QuantParam param) {
        return switch (param) {
            case F32 -> Dtype.F32;
            case F16 -> Dtype.F16;
            case BF16 -> Dtype.BF16;
            case UE8M0 -> Dtype.U8;
        };
    }

    /** The shape of the scales tensor: {@code []} (one scale) for the tensor level, the block grid else. */
    public static long[] scalesShape(int[] shape, QuantScheme scheme) {
        if (scheme.level() == QuantLevel.TENSOR) {
            return new long[0];
        }
        return toLong(new BlockLayout(shape, scheme).grid());
    }

    /**
     * The metadata value of a quantized tensor: its scheme's stored form (without the calibration, which
     * does not change how the data is read) and original shape as JSON.
     */
    public static String metadataValue(int[] shape, QuantScheme scheme) {
        StringWriter sw = new StringWriter();
        try (JsonWriter w = new JsonWriter(sw)) {
            w.beginObject()
                    .name("scheme")
                    .value(scheme.storedForm())
                    .name("shape")
                    .beginArray();
            for (int d : shape) {
                w.value(d);
            }
            w.endArray().endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sw.toString();
    }

    /** A metadata value read back: the scheme's text and the original shape. */
    record Description(String schemeText, int[] shape) {}

    /**
     * Reads a metadata value written by {@link #metadataValue}; strict: exactly the keys {@code scheme}
     * (a string) and {@code shape} (non-negative int dimensions), nothing else.
     *
     * @throws IllegalArgumentException with the reason, when the text is anything else
     */
    static Description parseMetadataValue(String text) {
        try (JsonReader r = new JsonReader(new StringReader(text))) {
            r.setStrictness(Strictness.STRICT);
            r.setNestingLimit(4);
            String scheme = null;
            int[] shape = null;
            expect(r, JsonToken.BEGIN_OBJECT, "a JSON object {\"scheme\": ..., \"shape\": [...]}");
            r.beginObject();
            while (r.hasNext()) {
                String key = r.nextName();
                switch (key) {
                    case "scheme" -> {
                        if (scheme != null) {
                            throw new IllegalArgumentException("it gives \"scheme\" twice");
                        }
                        expect(r, JsonToken.STRING, "\"scheme\" to be a string such as \"q4f:block32:f16:u32\"");
                        scheme = r.nextString();
                    }
                    case "shape" -> {
                        if (shape != null) {
                            throw new IllegalArgumentException("it gives \"shape\" twice");
                        }
                        shape = readShape(r);
                    }
                    default ->
                        throw new IllegalArgumentException(
                                "it has an unknown key \"" + key + "\" (this reader knows \"scheme\" and \"shape\")");
                }
            }
            r.endObject();
            if (r.peek() != JsonToken.END_DOCUMENT) {
                throw new IllegalArgumentException("there is more text after the JSON object");
            }
            if (scheme == null || shape == null) {
                throw new IllegalArgumentException("it lacks \"" + (scheme == null ? "scheme" : "shape") + "\"");
            }
            return new Description(scheme, shape);
        } catch (IOException | IllegalStateException e) {
            throw new IllegalArgumentException("it is not valid JSON: " + HeaderParser.gsonMessage(e), e);
        }
    }

    private static int[] readShape(JsonReader r) throws IOException {
        expect(r, JsonToken.BEGIN_ARRAY, "\"shape\" to be an array of dimensions");
        r.beginArray();
        int[] dims = new int[8];
        int rank = 0;
        while (r.hasNext()) {
            expect(r, JsonToken.NUMBER, "every dimension of \"shape\" to be a number");
            String literal = r.nextString();
            if (!literal.matches("0|[1-9][0-9]{0,9}") || Long.parseLong(literal) > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(
                        "shape dimension '" + literal + "' is not a whole number from 0 to " + Integer.MAX_VALUE);
            }
            if (rank == dims.length) {
                if (rank >= 1024) {
                    throw new IllegalArgumentException("shape has more than 1024 dimensions");
                }
                dims = Arrays.copyOf(dims, rank * 2);
            }
            dims[rank++] = Integer.parseInt(literal);
        }
        r.endArray();
        return Arrays.copyOf(dims, rank);
    }

    private static void expect(JsonReader r, JsonToken token, String what) throws IOException {
        JsonToken t = r.peek();
        if (t != token) {
            throw new IllegalArgumentException(
                    "expected " + what + " but found " + t + r.toString().replaceFirst("^JsonReader", ""));
        }
    }

    /**
     * The flat index of the first code the contract never produces, or -1 when all are valid: the most
     * negative integer of a symmetric (S) value, NaN codes of E4M3, infinity and NaN codes of E5M2. For
     * the U32 store, index {@code count} stands for non-zero padding bits after the last code.
     */
    static long firstInvalidCode(byte[] codes, int count, QuantScheme scheme) {
        QuantValue v = scheme.value();
        int bits = v.bits();
        int invalidMask;
        int invalidValue;
        switch (v) {
            case Q8S, Q4S, Q2S -> {
                invalidMask = (1 << bits) - 1;
                invalidValue = 1 << (bits - 1);
            }
            case E4M3 -> {
                invalidMask = 0x7F;
                invalidValue = 0x7F;
            }
            case E5M2 -> {
                invalidMask = 0x7C;
                invalidValue = 0x7C;
            }
            default -> {
                invalidMask = 0;
                invalidValue = -1;
            }
        }
        if (invalidValue >= 0) {
            for (int i = 0; i < count; i++) {
                if ((Packing.getRaw(codes, i, bits) & invalidMask) == invalidValue) {
                    return i;
                }
            }
        }
        long usedBits = (long) count * bits;
        for (long bit = usedBits; bit < (long) codes.length * 8; bit++) {
            if ((codes[(int) (bit >>> 3)] >>> (bit & 7) & 1) != 0) {
                return count;
            }
        }
        return -1;
    }

    /** Exact: a shape read from a file may claim more elements than a long counts. */
    static long elementCount(int[] shape) {
        return Shapes.elementCount(shape);
    }

    static long[] toLong(int[] shape) {
        return Arrays.stream(shape).asLongStream().toArray();
    }
}

package dev.quant4j.kernels;

import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.calibrate.ScaleSearch;
import dev.quant4j.format.MiniFloat;
import dev.quant4j.format.ScaleFormat;
import dev.quant4j.quantize.NonFiniteValueException;
import dev.quant4j.quantize.QuantizationException;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.scheme.SchemeProblem;
import dev.quant4j.tensor.BlockLayout;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.Packing;
import dev.quant4j.tensor.QuantizedTensor;
import dev.quant4j.tensor.Shapes;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The reference implementation of the numeric contract (docs/NUMERICS.md), written for clarity: one
 * element at a time, in float32 exactly as the contract states each step. Faster kernels are tested
 * against this one bit for bit.
 */
public final class ScalarKernels implements QuantKernels {
    static final ScalarKernels INSTANCE = new ScalarKernels();

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public QuantizedTensor quantize(String name, FloatTensor tensor, QuantScheme scheme) {
        if (scheme.calibration().isSearch()) {
            return ScaleSearch.quantize(this, name, tensor, scheme, null);
        }
        int[] shape = tensor.shape();
        float[] x = tensor.data();
        checkScheme(name, shape, scheme);
        checkFinite(name, x);
        BlockLayout layout = new BlockLayout(shape, scheme);
        float[] amax = blockAbsMax(x, layout);
        float[] scales = scales(name, amax, scheme, layout);
        byte[] codes = new byte[packedLength(name, x.length, scheme)];
        encodeAll(x, layout, scheme.value(), amax, scales, codes);
        return new QuantizedTensor(shape, scheme, codes, scales);
    }

    @Override
    public QuantizedTensor encode(String name, FloatTensor tensor, QuantScheme scheme, float[] scales) {
        int[] shape = tensor.shape();
        float[] x = tensor.data();
        checkScheme(name, shape, scheme);
        checkFinite(name, x);
        BlockLayout layout = new BlockLayout(shape, scheme);
        byte[] codes = new byte[packedLength(name, x.length, scheme)];
        // The constructor checks the scales before any code is computed with them.
        QuantizedTensor out = new QuantizedTensor(shape, scheme, codes, scales);
        encodeAll(x, layout, scheme.value(), blockAbsMax(x, layout), scales, codes);
        return out;
    }

    /** Rejects a scheme that is invalid on its own or for this shape, listing every problem. */
    public static void checkScheme(String name, int[] shape, QuantScheme scheme) {
        List<SchemeProblem> problems = scheme.problemsFor(shape);
        if (!problems.isEmpty()) {
            throw new QuantizationException(name, "cannot quantize tensor '" + name + "' of shape "
                    + Shapes.toString(shape) + " with " + scheme + ": "
                    + problems.stream().map(SchemeProblem::toString).collect(Collectors.joining("; ")));
        }
    }

    /** Rejects NaN and infinities, naming the first one's flat index. */
    public static void checkFinite(String name, float[] x) {
        for (int i = 0; i < x.length; i++) {
            if (!Float.isFinite(x[i])) {
                throw new NonFiniteValueException(name, i, x[i]);
            }
        }
    }

    /** Bytes of the packed codes, or an error naming the tensor when they would not fit one array. */
    public static int packedLength(String name, int count, QuantScheme scheme) {
        long bytes = Packing.packedBytes(count, scheme.value(), scheme.store());
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new QuantizationException(name, "tensor '" + name + "' has " + count
                    + " elements; its codes would take " + bytes + " bytes, more than one Java array holds");
        }
        return (int) bytes;
    }

    /** The largest |x| of each block. */
    public static float[] blockAbsMax(float[] x, BlockLayout layout) {
        float[] amax = new float[layout.blockCount()];
        layout.forEachRun((b, from, to) -> {
            float m = amax[b];
            for (int i = from; i < to; i++) {
                m = Math.max(m, Math.abs(x[i]));
            }
            amax[b] = m;
        });
        return amax;
    }

    /** Stored scales from block maxima: the raw scale, rounded up onto the param type's grid. */
    public static float[] scales(String name, float[] amax, QuantScheme scheme, BlockLayout layout) {
        float[] s = new float[amax.length];
        for (int b = 0; b < amax.length; b++) {
            s[b] = storedScale(amax[b], scheme.value(), scheme.param());
            if (s[b] == Float.POSITIVE_INFINITY) {
                float raw = rawScale(amax[b], scheme.value());
                throw new QuantizationException(name, "tensor '" + name + "' block "
                        + Arrays.toString(layout.blockCoordinates(b)) + " of grid " + Arrays.toString(layout.grid())
                        + " needs scale " + raw + " (max |x| = " + amax[b] + "), more than " + scheme.param()
                        + " holds (" + ScaleFormat.max(scheme.param()) + "); use a wider param such as "
                        + (scheme.param() == QuantParam.F16 ? "BF16 or F32" : "F32"));
            }
        }
        return s;
    }

    /** The raw scale of a block: {@code amax / ((b - a) / 2)} or {@code amax / fmax}, never 0 for amax > 0. */
    public static float rawScale(float amax, QuantValue value) {
        float raw = value.isFloat() ? amax / value.largestFinite()
                : amax / ((value.maxCode() - value.minCode()) / 2f);
        if (amax > 0f && raw == 0f) {
            raw = Float.MIN_VALUE;
        }
        return raw;
    }

    /** The stored scale of a block, or +infinity when it does not fit the param type. */
    public static float storedScale(float amax, QuantValue value, QuantParam param) {
        return ScaleFormat.roundUp(rawScale(amax, value), param);
    }

    private static void encodeAll(float[] x, BlockLayout layout, QuantValue value, float[] amax, float[] scales,
                                  byte[] codes) {
        int bits = value.bits();
        layout.forEachRun((b, from, to) -> {
            boolean zero = amax[b] == 0f;
            float s = scales[b];
            for (int i = from; i < to; i++) {
                Packing.put(codes, i, bits, zero ? 0 : encode(x[i], s, value));
            }
        });
    }

    /**
     * The code of one value with a block's stored scale (the block's max |x| must be above 0):
     * {@code clamp(rint(x / s), a, b)} for integers, the format's rounding of {@code x / s} for floats.
     */
    public static int encode(float x, float s, QuantValue value) {
        float y = x / s;
        if (value.isFloat()) {
            return MiniFloat.of(value).encode(y);
        }
        double r = Math.rint(y);
        if (r < value.minCode()) {
            return value.minCode();
        }
        if (r > value.maxCode()) {
            return value.maxCode();
        }
        return (int) r;
    }

    @Override
    public void dequantize(QuantizedTensor q, float[] out) {
        QuantValue value = q.scheme().value();
        int bits = value.bits();
        byte[] codes = q.codes();
        float[] scales = q.scales();
        MiniFloat format = value.isFloat() ? MiniFloat.of(value) : null;
        q.layout().forEachRun((b, from, to) -> {
            float s = scales[b];
            for (int i = from; i < to; i++) {
                float v = format != null ? format.decode(Packing.getRaw(codes, i, bits))
                        : (float) Packing.getSigned(codes, i, bits);
                out[i] = v * s;
            }
        });
    }
}

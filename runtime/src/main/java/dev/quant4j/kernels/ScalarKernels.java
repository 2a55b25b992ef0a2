package dev.quant4j.kernels;

import dev.quant4j.annotations.QuantMode;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.rules.QuantRules;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.BlockLayout;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;

/**
 * The reference implementation of the numeric contract (docs/NUMERICS.md), written for clarity: the
 * rules of {@link QuantRules} applied one element at a time, in float32 exactly as the contract states
 * each step. Faster kernels are tested against this one bit for bit.
 */
final class ScalarKernels extends BlockKernels {
    static final ScalarKernels INSTANCE = new ScalarKernels();

    private ScalarKernels() {
        super(ScalarProducts.INSTANCE);
    }

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public QuantizedTensor quantize(String name, FloatTensor tensor, QuantScheme scheme) {
        QuantRules.checkScheme(name, tensor.shape(), scheme);
        QuantRules.checkMinMaxCalibration(name, scheme);
        BlockLayout layout = new BlockLayout(tensor.shape(), scheme);
        if (scheme.mode() == QuantMode.AFFINE) {
            return quantizeAffine(name, tensor, scheme, layout);
        }
        float[] amax = finiteBlockAbsMax(name, tensor.data(), layout);
        return encoded(
                name,
                tensor.shape(),
                tensor.data(),
                layout,
                scheme,
                amax,
                QuantRules.storedScales(name, amax, scheme, layout));
    }

    /** MinMax affine quantization, element by element. */
    private static QuantizedTensor quantizeAffine(
            String name, FloatTensor tensor, QuantScheme scheme, BlockLayout layout) {
        return quantizeAffine(
                name,
                tensor.shape(),
                tensor.data(),
                layout,
                scheme,
                (x, from, to, min, max, b) -> {
                    for (int i = from; i < to; i++) {
                        min[b] = Math.min(min[b], x[i]);
                        max[b] = Math.max(max[b], x[i]);
                    }
                },
                QuantRules::encodeAffineBlock);
    }

    /** Folds the elements {@code x[from .. to)} of block {@code b} into {@code min[b]} and {@code max[b]}. */
    interface RunRange {
        void fold(float[] x, int from, int to, float[] min, float[] max, int b);
    }

    /** Writes the codes of one run with its block's scale and offset, as {@link QuantRules#encodeAffineBlock}. */
    interface AffineEncoder {
        void encode(float[] x, int from, int to, float d, float m, QuantValue value, byte[] codes);
    }

    /**
     * The steps of MinMax affine quantization, shared by the kernels (each brings its own loops): the finite
     * check, per block its min and max (an empty block counts as 0), the rules' offsets and scales, the codes.
     */
    static QuantizedTensor quantizeAffine(
            String name,
            int[] shape,
            float[] x,
            BlockLayout layout,
            QuantScheme scheme,
            RunRange range,
            AffineEncoder encoder) {
        QuantRules.checkFinite(name, x);
        int blocks = layout.blockCount();
        float[] min = new float[blocks];
        float[] max = new float[blocks];
        java.util.Arrays.fill(min, Float.POSITIVE_INFINITY);
        java.util.Arrays.fill(max, Float.NEGATIVE_INFINITY);
        layout.forEachRun((b, from, to) -> range.fold(x, from, to, min, max, b));
        for (int b = 0; b < blocks; b++) {
            if (min[b] > max[b]) {
                // A block without elements (the tensor level of an empty tensor): scale and offset 0.
                min[b] = 0f;
                max[b] = 0f;
            }
        }
        float[][] dm = QuantRules.affineParams(name, min, max, scheme, layout);
        byte[] codes = new byte[QuantRules.packedLength(name, x.length, scheme)];
        QuantValue value = scheme.value();
        layout.forEachRun((b, from, to) -> encoder.encode(x, from, to, dm[0][b], dm[1][b], value, codes));
        return QuantizedTensor.fromKernel(shape, scheme, codes, dm[0], dm[1]);
    }

    /** Max |x| per block, after the rule's check that every value is finite. */
    @Override
    float[] finiteBlockAbsMax(String name, float[] x, BlockLayout layout) {
        QuantRules.checkFinite(name, x);
        return layout.blockAbsMax(x);
    }

    @Override
    void encodeAll(float[] x, BlockLayout layout, QuantValue value, float[] amax, float[] scales, byte[] codes) {
        layout.forEachRun((b, from, to) -> QuantRules.encodeBlock(x, from, to, amax[b], scales[b], value, codes));
    }

    @Override
    void decodeRows(QuantizedTensor q, BlockLayout layout, int fromRow, int toRow, float[] out, int shift) {
        QuantValue value = q.scheme().value();
        byte[] codes = q.codes();
        float[] scales = q.scales();
        if (q.isAffine()) {
            float[] offsets = q.offsets();
            layout.forEachRun(fromRow, toRow, (b, from, to) -> {
                for (int i = from; i < to; i++) {
                    out[i - shift] =
                            QuantRules.affineValue(QuantRules.affineCode(codes, i, value), scales[b], offsets[b]);
                }
            });
            return;
        }
        layout.forEachRun(fromRow, toRow, (b, from, to) -> {
            float s = scales[b];
            for (int i = from; i < to; i++) {
                out[i - shift] = QuantRules.codeValue(codes, i, value) * s;
            }
        });
    }
}

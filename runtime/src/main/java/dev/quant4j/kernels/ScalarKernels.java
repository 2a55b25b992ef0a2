package dev.quant4j.kernels;

import dev.quant4j.annotations.QuantValue;
import dev.quant4j.rules.QuantRules;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.BlockLayout;
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
    QuantizedTensor quantizeSymmetric(String name, int[] shape, float[] x, BlockLayout layout, QuantScheme scheme) {
        float[] amax = finiteBlockAbsMax(name, x, layout);
        return encoded(name, shape, x, layout, scheme, amax, QuantRules.storedScales(name, amax, scheme, layout));
    }

    /** MinMax affine quantization, element by element. */
    @Override
    QuantizedTensor quantizeAffine(String name, int[] shape, float[] x, BlockLayout layout, QuantScheme scheme) {
        return minMaxAffine(
                name,
                shape,
                x,
                layout,
                scheme,
                (v, from, to, min, max, b) -> {
                    for (int i = from; i < to; i++) {
                        min[b] = Math.min(min[b], v[i]);
                        max[b] = Math.max(max[b], v[i]);
                    }
                },
                QuantRules::encodeAffineBlock);
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

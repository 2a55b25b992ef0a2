package dev.quant4j.kernels;

import dev.quant4j.annotations.QuantMode;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.rules.QuantRules;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.BlockLayout;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.util.Arrays;

/**
 * The steps the scalar and the Panama kernels take alike, once: the checks and the choice of symmetric or
 * affine quantization, caller scales, the encoded tensor, the steps of MinMax affine quantization, the
 * checked row range of a dequantization. Each kernel supplies its own loops (per-block max |x|, block
 * encoders, min and max, row decoding) and its own {@link Products}, which the product methods run.
 */
abstract class BlockKernels implements QuantKernels {
    private final Products products;

    BlockKernels(Products products) {
        this.products = products;
    }

    /** Per-block max |x|; a non-finite value is reported by {@link QuantRules#checkFinite}. */
    abstract float[] finiteBlockAbsMax(String name, float[] x, BlockLayout layout);

    /** The codes of every block with its stored scale, written into {@code codes}. */
    abstract void encodeAll(
            float[] x, BlockLayout layout, QuantValue value, float[] amax, float[] scales, byte[] codes);

    /** Symmetric min-max quantization of a checked tensor and scheme. */
    abstract QuantizedTensor quantizeSymmetric(
            String name, int[] shape, float[] x, BlockLayout layout, QuantScheme scheme);

    /** Affine min-max quantization of a checked tensor and scheme (each kernel calls {@link #minMaxAffine}). */
    abstract QuantizedTensor quantizeAffine(
            String name, int[] shape, float[] x, BlockLayout layout, QuantScheme scheme);

    @Override
    public final QuantizedTensor quantize(String name, FloatTensor tensor, QuantScheme scheme) {
        QuantRules.checkScheme(name, tensor.shape(), scheme);
        QuantRules.checkMinMaxCalibration(name, scheme);
        BlockLayout layout = new BlockLayout(tensor.shape(), scheme);
        return scheme.mode() == QuantMode.AFFINE
                ? quantizeAffine(name, tensor.shape(), tensor.data(), layout, scheme)
                : quantizeSymmetric(name, tensor.shape(), tensor.data(), layout, scheme);
    }

    @Override
    public final QuantizedTensor quantize(String name, FloatTensor tensor, QuantScheme scheme, float[] scales) {
        QuantRules.checkScheme(name, tensor.shape(), scheme);
        QuantRules.checkSymmetricForCallerScales(name, scheme);
        BlockLayout layout = new BlockLayout(tensor.shape(), scheme);
        float[] amax = finiteBlockAbsMax(name, tensor.data(), layout);
        QuantRules.checkCallerScales(name, scheme, layout, amax, scales);
        return encoded(name, tensor.shape(), tensor.data(), layout, scheme, amax, scales.clone());
    }

    /**
     * Rows {@code [fromRow, toRow)} of {@code q} decoded: element {@code i} of the tensor goes to
     * {@code out[i - shift]}. The arguments are checked already.
     */
    abstract void decodeRows(QuantizedTensor q, BlockLayout layout, int fromRow, int toRow, float[] out, int shift);

    @Override
    public final void dequantize(QuantizedTensor q, float[] out) {
        dequantizeRows(q, 0, q.layout().rows(), out, 0);
    }

    @Override
    public final void dequantizeRows(QuantizedTensor q, int fromRow, int toRow, float[] out, int offset) {
        BlockLayout layout = q.layout();
        KernelArguments.checkRows(q, layout, fromRow, toRow, out, offset);
        decodeRows(q, layout, fromRow, toRow, out, fromRow * layout.rowLength() - offset);
    }

    /** The codes of every block with its scale, as a tensor. */
    final QuantizedTensor encoded(
            String name, int[] shape, float[] x, BlockLayout layout, QuantScheme scheme, float[] amax, float[] scales) {
        byte[] codes = new byte[QuantRules.packedLength(name, x.length, scheme)];
        encodeAll(x, layout, scheme.value(), amax, scales, codes);
        return QuantizedTensor.fromKernel(shape, scheme, codes, scales);
    }

    @Override
    public final void matvec(QuantizedTensor w, float[] x, float[] out, Parallelism parallelism) {
        products.matvec(w, x, out, parallelism);
    }

    @Override
    public final void matvec(float[] w, int rows, int cols, float[] x, float[] out, Parallelism parallelism) {
        products.matvec(w, rows, cols, x, out, parallelism);
    }

    @Override
    public final void matmul(QuantizedTensor w, float[] x, int batch, float[] out, Parallelism parallelism) {
        products.matmul(w, x, batch, out, parallelism);
    }

    @Override
    public final void matvecInt8(QuantizedTensor w, float[] x, float[] out, Parallelism parallelism) {
        products.matvecInt8(w, x, out, parallelism);
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
    static QuantizedTensor minMaxAffine(
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
        Arrays.fill(min, Float.POSITIVE_INFINITY);
        Arrays.fill(max, Float.NEGATIVE_INFINITY);
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
}

package dev.quant4j.kernels;

import dev.quant4j.annotations.QuantValue;
import dev.quant4j.rules.QuantRules;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.BlockLayout;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;

/**
 * The steps the scalar and the Panama kernels take alike (checks, caller scales, the encoded tensor, the
 * checked row range of a dequantization), once;
 * each kernel supplies its own per-block max |x| and its own block encoder, and its own {@link Products},
 * which the product methods run.
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

    @Override
    public QuantizedTensor quantize(String name, FloatTensor tensor, QuantScheme scheme, float[] scales) {
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
}

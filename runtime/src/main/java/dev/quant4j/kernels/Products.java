package dev.quant4j.kernels;

import dev.quant4j.tensor.QuantizedTensor;

/**
 * The product kernels of one implementation ({@link ScalarProducts}, {@link PanamaProducts}), as the
 * object {@link BlockKernels} hands the {@link QuantKernels} product methods to: the contract of each
 * method is stated there.
 */
interface Products {
    /** {@link QuantKernels#matvec(QuantizedTensor, float[], float[], Parallelism)}. */
    void matvec(QuantizedTensor w, float[] x, float[] out, Parallelism parallelism);

    /** {@link QuantKernels#matvec(float[], int, int, float[], float[], Parallelism)}. */
    void matvec(float[] w, int rows, int cols, float[] x, float[] out, Parallelism parallelism);

    /** {@link QuantKernels#matmul}. */
    void matmul(QuantizedTensor w, float[] x, int batch, float[] out, Parallelism parallelism);

    /** {@link QuantKernels#matvecInt8}. */
    void matvecInt8(QuantizedTensor w, float[] x, float[] out, Parallelism parallelism);
}

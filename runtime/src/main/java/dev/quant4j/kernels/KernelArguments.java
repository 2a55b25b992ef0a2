package dev.quant4j.kernels;

import dev.quant4j.tensor.BlockLayout;
import dev.quant4j.tensor.QuantizedTensor;
import java.util.function.Supplier;

/**
 * The argument checks every kernel implementation runs before it computes, written once so that each
 * gives the same error for the same mistake.
 */
final class KernelArguments {
    private KernelArguments() {}

    /** Shape checks shared by every implementation; returns {@code [rows, cols]}. */
    static int[] checkMatvec(QuantizedTensor w, float[] x, int batch, float[] out) {
        int[] shape = w.shape();
        if (shape.length != 2) {
            throw new IllegalArgumentException("a matrix product needs a rank-2 weight [rows, cols] (out x in); got "
                    + w + "; reshape it to 2 dimensions");
        }
        return checkLengths(shape[0], shape[1], x, batch, out, w::toString);
    }

    /**
     * Length checks; {@code what} names the weight in the error and is only called when there is one (the
     * batched products run this per linear layer and per attention head, so no message is built in advance).
     */
    static int[] checkLengths(int rows, int cols, float[] x, int batch, float[] out, Supplier<String> what) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be at least 1, got " + batch);
        }
        if ((long) x.length != (long) batch * cols) {
            throw new IllegalArgumentException("activations of length " + x.length + " do not match " + what.get()
                    + ": expected " + batch + " x " + cols + " = " + (long) batch * cols + " (batch x cols)");
        }
        if ((long) out.length != (long) batch * rows) {
            throw new IllegalArgumentException("output of length " + out.length + " does not match " + what.get()
                    + ": expected " + batch + " x " + rows + " = " + (long) batch * rows + " (batch x rows)");
        }
        return new int[] {rows, cols};
    }

    static void checkDense(float[] w, int rows, int cols, float[] x, float[] out) {
        if (rows < 0 || cols < 0 || (long) rows * cols != w.length) {
            throw new IllegalArgumentException("a float32 weight of length " + w.length + " is not [" + rows + ", "
                    + cols + "]; give the matrix's row and column counts");
        }
        checkLengths(rows, cols, x, 1, out, () -> "a float32 weight [" + rows + ", " + cols + "]");
    }

    static void checkIntegerWeights(QuantizedTensor w) {
        if (w.scheme().value().isFloat()) {
            throw new IllegalArgumentException("matvecInt8 multiplies integer codes; " + w + " has float codes ("
                    + w.scheme().value() + "); use matvec with float32 activations");
        }
    }

    /** Rows {@code [fromRow, toRow)} of {@code q} (runs along its last dimension) fit {@code out} at {@code offset}. */
    static void checkRows(QuantizedTensor q, BlockLayout layout, int fromRow, int toRow, float[] out, int offset) {
        if (fromRow < 0 || toRow < fromRow || toRow > layout.rows()) {
            throw new IndexOutOfBoundsException("rows [" + fromRow + ", " + toRow + ") of " + q + ", which has "
                    + layout.rows() + " rows of " + layout.rowLength());
        }
        long need = (long) (toRow - fromRow) * layout.rowLength();
        if (offset < 0 || offset + need > out.length) {
            throw new IllegalArgumentException("rows [" + fromRow + ", " + toRow + ") of " + q + " take " + need
                    + " floats from offset " + offset + "; the output holds " + out.length);
        }
    }
}

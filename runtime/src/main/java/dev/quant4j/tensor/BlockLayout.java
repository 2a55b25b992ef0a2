package dev.quant4j.tensor;

import dev.quant4j.annotations.QuantLevel;
import dev.quant4j.scheme.QuantScheme;

/**
 * Where the blocks of a scheme fall in a tensor. Blocks are true rectangles, right-aligned to the
 * trailing dimensions; edge blocks may be cut short. The scale grid has ceil(dim / block) entries per
 * dimension, stored row-major. The tensor level is one block covering everything (one scale, also for
 * a tensor with no elements).
 *
 * <p>Kernels walk a tensor row by row (a row is a run along the last dimension): every element of row
 * {@code r} at column {@code c} belongs to block {@code rowBlockBase(r) + c / lastBlockExtent()}.
 */
public final class BlockLayout {
    private final int[] shape;
    private final int[] blockShape;
    private final int[] grid;
    private final int rowLength;
    private final int rows;
    private final int lastBlockExtent;
    private final int blockCount;
    /** Grid stride of each dimension. */
    private final long[] gridStride;

    public BlockLayout(int[] shape, QuantScheme scheme) {
        this.shape = shape.clone();
        this.blockShape = scheme.blockShapeFor(shape);
        this.grid = Shapes.grid(shape, blockShape);
        int r = shape.length;
        this.rowLength = r == 0 ? 1 : shape[r - 1];
        long n = Shapes.elementCount(shape);
        this.rows = rowLength == 0 ? 0 : (int) (n / rowLength);
        this.lastBlockExtent = r == 0 ? 1 : Math.max(blockShape[r - 1], 1);
        this.gridStride = new long[r];
        long g = 1;
        for (int i = r - 1; i >= 0; i--) {
            gridStride[i] = g;
            g *= grid[i];
        }
        if (scheme.level() == QuantLevel.TENSOR) {
            this.blockCount = 1;
        } else {
            if (g > Shapes.MAX_ARRAY_LENGTH) {
                throw new IllegalArgumentException("block grid of " + g + " blocks is too large");
            }
            this.blockCount = (int) g;
        }
    }

    /** Number of scales. */
    public int blockCount() {
        return blockCount;
    }

    /** Blocks per dimension. A copy. */
    public int[] grid() {
        return grid.clone();
    }

    /** The block shape right-aligned to the tensor (leading 1s). A copy. */
    public int[] blockShape() {
        return blockShape.clone();
    }

    /** Elements in a row (the last dimension; 1 for a rank-0 tensor). */
    public int rowLength() {
        return rowLength;
    }

    /** Number of rows. */
    public int rows() {
        return rows;
    }

    /** Block extent along the last dimension. */
    public int lastBlockExtent() {
        return lastBlockExtent;
    }

    /** Index of the block holding element 0 of row {@code row}. */
    public int rowBlockBase(int row) {
        int r = shape.length;
        long base = 0;
        int rest = row;
        for (int i = r - 2; i >= 0; i--) {
            int c = rest % shape[i];
            rest /= shape[i];
            base += (long) (c / blockShape[i]) * gridStride[i];
        }
        return (int) base;
    }

    /** One run of a row that lies in one block: flat element indices {@code [from, to)} of block {@code block}. */
    @FunctionalInterface
    public interface RunVisitor {
        void run(int block, int from, int to);
    }

    /**
     * Visits every element once, as runs along the last dimension that each lie in one block, in row-major
     * order. Kernels that work block by block share this walk instead of each repeating it.
     */
    public void forEachRun(RunVisitor visitor) {
        forEachRun(0, rows, visitor);
    }

    /** As {@link #forEachRun(RunVisitor)}, for rows {@code [fromRow, toRow)} only. */
    public void forEachRun(int fromRow, int toRow, RunVisitor visitor) {
        for (int r = fromRow; r < toRow; r++) {
            int row = r * rowLength;
            for (int c0 = 0, b = rowBlockBase(r); c0 < rowLength; c0 += lastBlockExtent, b++) {
                visitor.run(b, row + c0, row + Math.min(c0 + lastBlockExtent, rowLength));
            }
        }
    }

    /**
     * Max |x| per block, by {@link Math#max} in run order (the scalar reference's walk). Callers check that
     * every value is finite first.
     */
    public float[] blockAbsMax(float[] x) {
        float[] amax = new float[blockCount()];
        forEachRun((b, from, to) -> {
            float m = amax[b];
            for (int i = from; i < to; i++) {
                m = Math.max(m, Math.abs(x[i]));
            }
            amax[b] = m;
        });
        return amax;
    }

    /** The grid coordinates of a block, for error messages. */
    public int[] blockCoordinates(int block) {
        int[] c = new int[grid.length];
        for (int i = 0; i < grid.length; i++) {
            c[i] = (int) ((block / gridStride[i]) % Math.max(grid[i], 1));
        }
        return c;
    }
}

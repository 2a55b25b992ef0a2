package dev.quant4j.tensor;

import java.util.Arrays;
import java.util.Objects;

/**
 * A float32 tensor: a shape and its values in row-major order. The data array is shared, not copied:
 * this type is a view that names how a {@code float[]} is laid out.
 */
public final class FloatTensor {
    private final int[] shape;
    private final float[] data;

    private FloatTensor(int[] shape, float[] data) {
        this.shape = shape;
        this.data = data;
    }

    /**
     * Wraps {@code data} with the given shape.
     *
     * @throws IllegalArgumentException if a dimension is negative or the shape does not hold exactly
     *                                  {@code data.length} elements
     */
    public static FloatTensor of(float[] data, int... shape) {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(shape, "shape");
        long n = Shapes.elementCount(shape);
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n
                    + " elements but the data has " + data.length + "; give a shape whose product is "
                    + data.length);
        }
        return new FloatTensor(shape.clone(), data);
    }

    /** A rank-1 tensor over {@code data}. */
    public static FloatTensor vector(float[] data) {
        return new FloatTensor(new int[] {data.length}, data);
    }

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    /** Number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** One dimension. */
    public int dim(int i) {
        return shape[i];
    }

    /** The values, row-major; the array itself, not a copy. */
    public float[] data() {
        return data;
    }

    /** Number of elements. */
    public int size() {
        return data.length;
    }

    /** Bytes the values take as float32. */
    public long byteSize() {
        return 4L * data.length;
    }

    @Override
    public boolean equals(Object o) {
        // Bitwise equality (so -0.0 != +0.0 and NaN == NaN): what "bit for bit" means in the contract.
        if (!(o instanceof FloatTensor t) || !Arrays.equals(shape, t.shape) || data.length != t.data.length) {
            return false;
        }
        for (int i = 0; i < data.length; i++) {
            if (Float.floatToRawIntBits(data[i]) != Float.floatToRawIntBits(t.data[i])) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "FloatTensor" + Arrays.toString(shape);
    }
}

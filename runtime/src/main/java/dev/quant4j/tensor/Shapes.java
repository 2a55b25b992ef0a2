package dev.quant4j.tensor;

import java.util.Arrays;

/** Shape arithmetic shared by the tensor types, the quantizer and the file readers. */
public final class Shapes {
    /**
     * The most elements (and bytes of codes) one tensor may have: the largest Java array length every
     * JVM allocates (a few header words below {@code Integer.MAX_VALUE}).
     */
    public static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    private Shapes() {}

    /** Number of elements, or -1 if a dimension is negative or the count exceeds {@code Long.MAX_VALUE}. */
    public static long elementCountOrNegative(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                return -1;
            }
            if (d != 0 && n > Long.MAX_VALUE / d) {
                return -1;
            }
            n *= d;
        }
        return n;
    }

    /** Number of elements of an int shape, as a long (never overflows for int dimensions up to rank 2). */
    public static long elementCount(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Number of blocks along each dimension: ceil(dim / block), 0 where the dimension is 0. */
    public static int[] grid(int[] shape, int[] blockShape) {
        int[] g = new int[shape.length];
        for (int i = 0; i < shape.length; i++) {
            g[i] = shape[i] == 0 ? 0 : (int) ((shape[i] + (long) blockShape[i] - 1) / blockShape[i]);
        }
        return g;
    }

    /** Shape as text, e.g. {@code [384, 1536]}. */
    public static String toString(int[] shape) {
        return Arrays.toString(shape);
    }
}

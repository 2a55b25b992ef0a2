package dev.quant4j.tensor;

import dev.quant4j.annotations.QuantMode;
import dev.quant4j.annotations.QuantStore;
import dev.quant4j.format.ScaleFormat;
import dev.quant4j.scheme.QuantScheme;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.ServiceLoader;

/**
 * A quantized tensor: its shape, the scheme, the packed codes (see {@link Packing}) and one scale per
 * block (see {@link BlockLayout}), each scale held as the float32 value of the param type it is stored
 * in. An affine tensor ({@link QuantMode#AFFINE}) also holds one offset per block, and its codes are
 * unsigned: element value {@code fma(q, d, m)} (docs/NUMERICS.md, "The affine mode"). Immutable by contract:
 * the arrays are not copied and must not be changed after construction.
 */
public final class QuantizedTensor {
    private final int[] shape;
    private final QuantScheme scheme;
    private final byte[] codes;
    private final float[] scales;
    private final float[] offsets;
    private final int size;

    /**
     * Checks that the parts agree: a valid scheme for the shape, the exact packed byte count, one finite,
     * scale on the param type's grid per block (negative only where {@link ScaleFormat#allowsNegative}).
     *
     * @throws IllegalArgumentException naming the part that does not fit and what was expected
     */
    public QuantizedTensor(int[] shape, QuantScheme scheme, byte[] codes, float[] scales) {
        this(shape, scheme, codes, scales, null, true);
    }

    /**
     * The same checks, with {@code offsets}: one per block, each finite and on the param type's grid, for an
     * affine scheme (whose scales must also be non-negative), and null for a symmetric one.
     *
     * @throws IllegalArgumentException naming the part that does not fit and what was expected
     */
    public QuantizedTensor(int[] shape, QuantScheme scheme, byte[] codes, float[] scales, float[] offsets) {
        this(shape, scheme, codes, scales, offsets, true);
    }

    private QuantizedTensor(
            int[] shape, QuantScheme scheme, byte[] codes, float[] scales, float[] offsets, boolean scanScales) {
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(scheme, "scheme");
        Objects.requireNonNull(codes, "codes");
        Objects.requireNonNull(scales, "scales");
        List<?> problems = scheme.problemsFor(shape);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(
                    "scheme " + scheme + " cannot hold a tensor of shape " + Arrays.toString(shape) + ": " + problems);
        }
        long n = Shapes.elementCount(shape);
        if (n > Shapes.MAX_ARRAY_LENGTH) {
            throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " has " + n
                    + " elements; at most " + Shapes.MAX_ARRAY_LENGTH + " are supported per tensor");
        }
        long expectedBytes = Packing.packedBytes(n, scheme.value(), scheme.store());
        if (codes.length != expectedBytes) {
            throw new IllegalArgumentException("codes of a " + scheme + " tensor of shape " + Arrays.toString(shape)
                    + " take " + expectedBytes + " bytes, got " + codes.length);
        }
        int blocks = new BlockLayout(shape, scheme).blockCount();
        if (scales.length != blocks) {
            throw new IllegalArgumentException("a " + scheme + " tensor of shape " + Arrays.toString(shape) + " has "
                    + blocks + " scales, got " + scales.length);
        }
        boolean affine = scheme.mode() == QuantMode.AFFINE;
        if (affine != (offsets != null)) {
            throw new IllegalArgumentException(
                    affine
                            ? "an affine " + scheme + " tensor needs one offset per block" + " (" + blocks + ")"
                            : "a symmetric " + scheme + " tensor has no offsets; pass null");
        }
        if (affine && offsets.length != blocks) {
            throw new IllegalArgumentException("a " + scheme + " tensor of shape " + Arrays.toString(shape) + " has "
                    + blocks + " offsets, got " + offsets.length);
        }
        for (int i = 0; affine && scanScales && i < blocks; i++) {
            if (!ScaleFormat.isValidAffineScale(scales[i], scheme.param())) {
                throw new IllegalArgumentException("scale " + i + " = " + scales[i] + " is not a finite, non-negative "
                        + scheme.param() + " value other than -0.0");
            }
            if (!ScaleFormat.isValidOffset(offsets[i], scheme.param())) {
                throw new IllegalArgumentException(
                        "offset " + i + " = " + offsets[i] + " is not a finite " + scheme.param() + " value");
            }
        }
        for (int i = 0; !affine && scanScales && i < scales.length; i++) {
            float s = scales[i];
            if (!ScaleFormat.isValidScale(s, scheme.value(), scheme.param())) {
                throw new IllegalArgumentException("scale " + i + " = " + s + " is not a finite, "
                        + (ScaleFormat.allowsNegative(scheme.value(), scheme.param()) ? "" : "non-negative ")
                        + scheme.param() + " value other than -0.0");
            }
        }
        this.shape = shape.clone();
        this.scheme = scheme;
        this.codes = codes;
        this.scales = scales;
        this.offsets = offsets;
        this.size = (int) n;
    }

    /**
     * A tensor a kernel has just computed: the same checks as the constructor except the scan of every
     * scale, which a kernel's scales pass by construction (each is the rounding of {@code ScaleFormat.roundUp}
     * or a caller's scale the kernel checked). Everything read from outside (files, callers' arrays) goes
     * through the constructor instead.
     */
    public static QuantizedTensor fromKernel(int[] shape, QuantScheme scheme, byte[] codes, float[] scales) {
        return new QuantizedTensor(shape, scheme, codes, scales, null, false);
    }

    /** {@link #fromKernel(int[], QuantScheme, byte[], float[])} for an affine tensor, with its offsets. */
    public static QuantizedTensor fromKernel(
            int[] shape, QuantScheme scheme, byte[] codes, float[] scales, float[] offsets) {
        return new QuantizedTensor(shape, scheme, codes, scales, offsets, false);
    }

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public QuantScheme scheme() {
        return scheme;
    }

    /** Number of elements. */
    public int size() {
        return size;
    }

    /** The packed codes; the array itself (do not modify). */
    public byte[] codes() {
        return codes;
    }

    /** The scales as float32 values, one per block, row-major over the grid; the array itself. */
    public float[] scales() {
        return scales;
    }

    /** True for an affine tensor, which has {@link #offsets()} and unsigned codes. */
    public boolean isAffine() {
        return offsets != null;
    }

    /** The offsets as float32 values, one per block like the scales; the array itself; null when symmetric. */
    public float[] offsets() {
        return offsets;
    }

    /** The block layout of this tensor. */
    public BlockLayout layout() {
        return new BlockLayout(shape, scheme);
    }

    /** Exact bytes the quantized data takes: packed codes plus scales (and offsets) in the param type. */
    public long byteSize() {
        return codes.length
                + (long) scales.length
                        * (offsets == null ? 1 : 2)
                        * scheme.param().bytes();
    }

    /** Bits per weight, scales included (0 for an empty tensor). */
    public double bitsPerWeight() {
        return size == 0 ? 0 : byteSize() * 8.0 / size;
    }

    /**
     * Code number {@code i}: a signed integer for symmetric integer values, an unsigned one for affine
     * values, the format's bit pattern for float values.
     */
    public int code(int i) {
        int bits = scheme.value().bits();
        return scheme.value().isFloat() || offsets != null
                ? Packing.getRaw(codes, i, bits)
                : Packing.getSigned(codes, i, bits);
    }

    /** Float32 values, {@code q * s} per element ({@code fma(q, d, m)} when affine), with the active kernels. */
    public FloatTensor dequantize() {
        float[] out = new float[size];
        ActiveDequantizer.INSTANCE.dequantize(this, out);
        return FloatTensor.of(out, shape);
    }

    /** True when the store packs codes in 32-bit words. */
    public boolean packedInWords() {
        return scheme.store() == QuantStore.U32;
    }

    @Override
    public String toString() {
        return "QuantizedTensor" + Arrays.toString(shape) + " " + scheme + " (" + byteSize() + " bytes)";
    }

    /** The kernels' {@link Dequantizer}, looked up once, on the first {@link #dequantize()}. */
    private static final class ActiveDequantizer {
        static final Dequantizer INSTANCE = ServiceLoader.load(
                        Dequantizer.class, QuantizedTensor.class.getClassLoader())
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no " + Dequantizer.class.getName()
                        + " service: the quant4j runtime's META-INF/services entry was dropped when its jar was"
                        + " repackaged; keep META-INF/services/" + Dequantizer.class.getName()));
    }
}

package dev.quant4j.io;

import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.Shapes;
import java.util.Arrays;

/**
 * A quantized tensor as a file holds it (see docs/FILE-FORMAT.md): the original shape, the scheme, and
 * the tensors of the file that hold its packed codes, its scales and, for an affine scheme, its offsets
 * ({@code offsets} is null for a symmetric one).
 */
public record QuantizedInfo(
        String name, int[] shape, QuantScheme scheme, TensorInfo codes, TensorInfo scales, TensorInfo offsets)
        implements SafetensorsEntry {
    public QuantizedInfo {
        shape = shape.clone();
    }

    /** A symmetric tensor: codes and scales. */
    public QuantizedInfo(String name, int[] shape, QuantScheme scheme, TensorInfo codes, TensorInfo scales) {
        this(name, shape, scheme, codes, scales, null);
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public long[] shapeLong() {
        return Arrays.stream(shape).asLongStream().toArray();
    }

    @Override
    public long elementCount() {
        return Shapes.elementCount(shape);
    }

    @Override
    public long byteSize() {
        return codes.byteSize() + scales.byteSize() + (offsets == null ? 0 : offsets.byteSize());
    }

    /** Bits per weight, scales included (0 for an empty tensor). */
    public double bitsPerWeight() {
        long n = elementCount();
        return n == 0 ? 0 : byteSize() * 8.0 / n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof QuantizedInfo q
                && name.equals(q.name)
                && Arrays.equals(shape, q.shape)
                && scheme.equals(q.scheme)
                && codes.equals(q.codes)
                && scales.equals(q.scales)
                && java.util.Objects.equals(offsets, q.offsets);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape) + scheme.hashCode();
    }

    @Override
    public String toString() {
        return name + " " + scheme + Arrays.toString(shape);
    }
}

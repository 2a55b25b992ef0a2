package dev.quant4j.io;

import java.util.Arrays;

/**
 * One tensor as its header entry describes it. Offsets are relative to the start of the data section,
 * {@code [begin, end)}, as in the file.
 */
public record TensorInfo(String name, Dtype dtype, long[] shape, long begin, long end) implements SafetensorsEntry {
    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The same as {@link #shape()}: a header's dimensions are longs already. */
    @Override
    public long[] shapeLong() {
        return shape();
    }

    public int rank() {
        return shape.length;
    }

    @Override
    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public long byteSize() {
        return end - begin;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t
                && name.equals(t.name)
                && dtype == t.dtype
                && Arrays.equals(shape, t.shape)
                && begin == t.begin
                && end == t.end;
    }

    @Override
    public int hashCode() {
        return (name.hashCode() * 31 + dtype.hashCode()) * 31 + Arrays.hashCode(shape) + Long.hashCode(begin);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
    }
}

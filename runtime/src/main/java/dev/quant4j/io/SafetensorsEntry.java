package dev.quant4j.io;

/**
 * One logical tensor of a file: a plain tensor ({@link TensorInfo}) or a quantized tensor
 * ({@link QuantizedInfo}), which takes two tensors of the file (codes and scales).
 */
public sealed interface SafetensorsEntry permits TensorInfo, QuantizedInfo {
    /** The tensor's name. */
    String name();

    /** Number of elements of the logical tensor. */
    long elementCount();

    /** Bytes the entry's data takes in the file (codes plus scales for a quantized tensor). */
    long byteSize();

    /** The logical shape (for a quantized tensor, the original one). A copy. */
    long[] shapeLong();
}

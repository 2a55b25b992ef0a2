/**
 * all-MiniLM-L6-v2 as an annotated model, in two variants that differ only in how their weight fields
 * hold the weights ({@link dev.quant4j.examples.minilm.MiniLmModel}: plain arrays for the Java agent,
 * {@link dev.quant4j.examples.minilm.HolderMiniLmModel}: {@code QuantizableTensor} holders) and share the
 * math ({@link dev.quant4j.examples.minilm.EncoderMath}). Built empty for a
 * {@link dev.quant4j.examples.minilm.MiniLmConfig} and filled through {@code Quantization.importState}:
 * from the ONNX file by {@code onnx.MiniLmLoader}, or from a saved file by {@code ModelFiles.load}.
 */
package dev.quant4j.examples.minilm;

/**
 * Walking, quantizing, saving and loading annotated models.
 *
 * <p>The annotation processor ({@code quant4j-processor}) generates one {@link dev.quant4j.model.ModelVisitor}
 * per model class; the visitor reads and writes the model's weight fields directly (no reflection) and
 * reports each as a {@link dev.quant4j.model.WeightField}. Everything else lives here, once:
 * {@link dev.quant4j.model.Quantization} quantizes, simulates, dequantizes, exports and imports a whole
 * model through those fields; {@link dev.quant4j.model.QuantizableTensor} is the holder type for weights
 * that stay quantized without the Java agent; {@link dev.quant4j.model.QuantizationReport} says what
 * happened to each field; {@link dev.quant4j.model.ModelFiles} saves and loads a model's whole state as
 * one safetensors file (through {@code dev.quant4j.io}, the file format, which knows nothing of models).
 */
package dev.quant4j.model;

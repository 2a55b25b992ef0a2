/**
 * Walking, quantizing, saving and loading annotated models.
 *
 * <p>The annotation processor ({@code quant4j-processor}) generates one {@link dev.quant4j.model.ModelVisitor}
 * per model class; the visitor reads and writes the model's weight fields directly (no reflection) and
 * reports each as a {@link dev.quant4j.model.WeightField}. Everything else lives here, once:
 * {@link dev.quant4j.model.Quantization} quantizes, simulates, dequantizes, exports and imports a whole
 * model through those fields; {@link dev.quant4j.model.QuantizableTensor} is the holder type for weights
 * that stay quantized without the Java agent; {@link dev.quant4j.model.QuantizationReport} says what
 * happened to each field.
 */
package dev.quant4j.model;

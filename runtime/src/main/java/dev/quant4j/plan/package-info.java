/**
 * Mixed precision from measured sensitivity (docs/CALIBRATION.md, "Mixed precision"):
 * {@link dev.quant4j.plan.Sensitivity} measures the model's output error with one field at a time quantized with
 * each candidate scheme, {@link dev.quant4j.plan.Planner} picks each field's scheme for a budget in bits per weight
 * or an error floor, and {@link dev.quant4j.plan.Plan} prints the choice as {@code @Quantize} and CLI
 * {@code --rule} lines and applies it through {@link dev.quant4j.model.Quantization}. Above {@code model}: it
 * walks a model's fields and quantizes through the model layer's API only.
 */
package dev.quant4j.plan;

package dev.quant4j.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a model class that has no {@link Quantize} field of its own but whose weights belong to the
 * model's state: a container of nested modules ({@code Encoder { Layer[] layers; }}) or a module of
 * unquantized weights only ({@code LayerNorm { float[] gamma, beta; }}). The processor generates its
 * visitor, so it is walked when quantizing and its tensors are exported and imported with the rest.
 * Classes with {@code @Quantize} fields or {@link QuantizeDefaults} are model classes already and do
 * not need it.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface QuantModule {}

package dev.quant4j.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The shape of a {@code float[]} weight field that holds a matrix (or a higher-rank tensor) in
 * row-major order. Each entry is either the name of an {@code int} field of the same class (read from
 * the object when the weights are visited, so {@code new Layer(384, 1536)} gives the shape) or a
 * positive integer literal. Without it a {@code float[]} field is a vector of its own length.
 *
 * <pre>{@code
 * int inDim, outDim;
 * @Quantize(value = Q4F, level = BLOCK, blockSize = 32)
 * @Dims({"outDim", "inDim"}) float[] weight;      // [outDim, inDim], row-major
 * }</pre>
 *
 * <p>The processor checks at compile time that each name is an {@code int} field it can read; at run
 * time the product of the dimensions must equal the array's length (the error names the field path).
 * {@code float[][]} fields take their shape from the array ({@code [rows, cols]}) and the holder type
 * carries its own, so they do not take this annotation.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.FIELD)
public @interface Dims {
    /** The dimensions, outermost first: {@code int} field names or positive integer literals. */
    String[] value();
}

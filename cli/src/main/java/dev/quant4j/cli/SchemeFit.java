package dev.quant4j.cli;

import dev.quant4j.io.TensorSpec;
import dev.quant4j.scheme.InvalidSchemeException;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.QuantizedTensor;
import java.util.Arrays;
import java.util.List;

/**
 * The one check of a scheme against a tensor's shape on the command line (the CLI's and Spark's):
 * making the {@link TensorSpec.Quantized} checks it; a tensor it does not fit gets its reason, in SPEC
 * syntax, added to a list, from which the command makes one note or (with {@code --strict}) one error.
 */
public final class SchemeFit {
    private SchemeFit() {}

    /**
     * The spec that quantizes the tensor with {@code source}, or null when the scheme cannot take its
     * shape; the reason ({@code tensor 'NAME' [SHAPE] cannot take SPEC: what: fix}) is added to {@code unfit}.
     */
    public static TensorSpec.Quantized spec(
            String name,
            long[] shape,
            QuantScheme scheme,
            TensorSpec.Producer<QuantizedTensor> source,
            List<String> unfit) {
        String subject = "tensor '" + name + "' " + Arrays.toString(shape);
        int[] dims = new int[shape.length];
        for (int i = 0; i < dims.length; i++) {
            if (shape[i] > Integer.MAX_VALUE) {
                unfit.add(subject + " has dimension " + shape[i] + ", more than a quantized tensor holds ("
                        + Integer.MAX_VALUE + ")");
                return null;
            }
            dims[i] = (int) shape[i];
        }
        try {
            return TensorSpec.quantized(name, dims, scheme, source);
        } catch (InvalidSchemeException e) {
            unfit.add(subject + " cannot take " + scheme + ": "
                    + SchemeText.problem(e.problems().getFirst()));
        } catch (IllegalArgumentException e) {
            unfit.add(subject + " cannot be quantized: " + e.getMessage());
        }
        return null;
    }
}

package dev.quant4j.cli;

import dev.quant4j.io.Dtype;
import dev.quant4j.io.TensorSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Writes every quantized and 16-bit float tensor back as F32; other tensors are copied. Streams like quantize. */
@Command(
        name = "dequantize",
        mixinStandardHelpOptions = true,
        description = {
            "Write every tensor of a safetensors or GGUF file back as float32.",
            "Quantized tensors are dequantized (q * s; GGUF block types as ggml does), F16 and BF16 tensors "
                    + "widened (exactly), F32 and non-float tensors (integers, F64, ...) copied unchanged."
        })
final class DequantizeCommand extends TransformCommand {
    @Option(
            names = "--strict",
            description = "Refuse (exit 2) a quantized tensor whose values overflow float32 "
                    + "(q * s beyond the largest float), instead of writing them as +-Inf with a warning.")
    boolean strict;

    private int dequantized;
    private int widened;
    private int copied;

    /** Values that dequantized to an infinity, and the first tensor that had one. */
    private long infinite;

    private String firstInfinite;

    /**
     * A code times a scale near the top of float32 can overflow (docs/NUMERICS.md): the file holds
     * such values legitimately, but a float32 copy cannot, so they are counted, or refused.
     */
    private void countInfinities(String name, float[] x) {
        long n = 0;
        for (float v : x) {
            if (Float.isInfinite(v)) {
                n++;
            }
        }
        if (n == 0) {
            return;
        }
        if (strict) {
            throw new CliException("tensor '" + name + "' dequantizes to " + n + " values beyond float32 (q * s "
                    + "overflows to +-Inf); nothing was written. Drop --strict to write them as +-Inf");
        }
        if (firstInfinite == null) {
            firstInfinite = name;
        }
        infinite += n;
    }

    @Override
    TensorSpec plan(InputFile in, InputFile.Tensor t) throws Exception {
        String name = t.name();
        return switch (t) {
            case InputFile.Quantized q -> {
                dequantized++;
                yield asFloat32(q, x -> countInfinities(name, x));
            }
            case InputFile.Decoded d -> {
                dequantized++;
                yield asFloat32(d, x -> countInfinities(name, x));
            }
            case InputFile.Plain p
            when p.dtype() == Dtype.F16 || p.dtype() == Dtype.BF16 -> {
                widened++;
                yield asFloat32(p);
            }
            case InputFile.Plain p -> {
                copied++;
                yield copy(p);
            }
        };
    }

    @Override
    void written() {
        if (infinite > 0) {
            warn(infinite + " values overflowed float32 and were written as +-Inf (the first in tensor '"
                    + firstInfinite + "'): q * s is beyond the largest float; --strict refuses such files");
        }
    }

    @Override
    String counts() {
        return "dequantized " + dequantized + " tensors (" + widened + " widened to F32, " + copied + " copied)";
    }
}

package dev.quant4j.cli;

import dev.quant4j.io.TensorSpec;
import picocli.CommandLine.Command;

/** Copies a file into the other format (or the same one): safetensors and GGUF, chosen by extension. */
@Command(
        name = "convert",
        mixinStandardHelpOptions = true,
        description = {
            "Convert between safetensors and GGUF (llama.cpp's format), by the files' extensions "
                    + "(.gguf is GGUF, anything else safetensors).",
            "Quantized tensors keep their codes and scales where both formats hold them: q8s:block32:f16 is "
                    + "Q8_0, q4f:block32:f16 is Q4_0, e2m1:block32:ue8m0 is MXFP4 (the same floats, bit for "
                    + "bit). Other schemes cannot go into GGUF. GGUF tensors of other block types quant4j "
                    + "reads (q4_1, q4_k, q5_k, q6_k, q8_k) become F32, with a note."
        })
final class ConvertCommand extends TransformCommand {
    private int count;

    @Override
    TensorSpec plan(InputFile in, InputFile.Tensor t) throws Exception {
        count++;
        return copy(t);
    }

    @Override
    String counts() {
        return "converted " + count + " tensors";
    }
}

package dev.quant4j.cli;

import dev.quant4j.io.gguf.GgufReader;
import dev.quant4j.io.QuantizedInfo;
import dev.quant4j.io.SafetensorsEntry;
import dev.quant4j.io.SafetensorsReader;
import dev.quant4j.io.TensorInfo;
import dev.quant4j.io.TensorSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Copies a file into the other format (or the same one): safetensors and GGUF, chosen by extension. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Convert between safetensors and GGUF (llama.cpp's format), by the files' extensions "
                + "(.gguf is GGUF, anything else safetensors).",
                "Quantized tensors keep their codes and scales where both formats hold them: q8s:block32:f16 is "
                        + "Q8_0, q4f:block32:f16 is Q4_0, e2m1:block32:ue8m0 is MXFP4 (the same floats, bit for "
                        + "bit). Other schemes cannot go into GGUF. GGUF tensors of other block types quant4j "
                        + "reads (q4_1, q4_k, q5_k, q6_k, q8_k) become F32, with a note."})
final class ConvertCommand extends FileCommand {
    @Parameters(index = "0", paramLabel = "IN", description = "The file to read (.safetensors or .gguf).")
    Path input;

    @Parameters(index = "1", paramLabel = "OUT", description = "The file to write (replaced atomically).")
    Path output;

    @Option(names = {"-q", "--quiet"}, description = "Do not print the summary line.")
    boolean quiet;

    @Override
    Path shardableInput() {
        return input;
    }

    @Override
    Path shardOutput() {
        return output;
    }

    @Override
    void retarget(Path input, Path output) {
        this.input = input;
        this.output = output;
    }

    @Override
    int execute() throws Exception {
        checkDistinct(input, output);
        long inBytes;
        int count;
        List<String> notes = new ArrayList<>();
        List<String> dropped = new ArrayList<>();
        if (GgufFiles.isGguf(input)) {
            try (GgufReader in = GgufReader.open(input)) {
                inBytes = in.fileSize();
                try (Progress progress = Progress.start(err(), this.progress, "convert", in.fileSize() - in.dataStart())) {
                    List<TensorSpec> specs = GgufFiles.specs(in, this, progress, notes);
                    count = specs.size();
                    Map<String, String> metadata = GgufFiles.isGguf(output) ? Map.of()
                            : GgufFiles.metadata(in, dropped);
                    GgufFiles.write(output, metadata, specs);
                }
            }
        } else {
            try (SafetensorsReader in = open(input)) {
                printWarnings(in);
                inBytes = in.fileSize();
                try (Progress progress = Progress.start(err(), this.progress, "convert", in.fileSize() - in.dataStart())) {
                    List<TensorSpec> specs = new ArrayList<>();
                    for (SafetensorsEntry e : in.entries()) {
                        switch (e) {
                            case QuantizedInfo q -> specs.add(TensorSpec.quantized(q.name(), q.shape(), q.scheme(), () -> {
                                begin(progress, q.name());
                                var t = in.readQuantized(q);
                                progress.advance(q.byteSize());
                                return t;
                            }));
                            case TensorInfo t -> specs.add(copyWithProgress(in, t, progress));
                        }
                    }
                    count = specs.size();
                    GgufFiles.write(output, in.userMetadata(), specs);
                }
            }
        }
        if (!notes.isEmpty()) {
            note("dequantized to F32 (no exact quant4j scheme): " + notes.getFirst()
                    + (notes.size() > 1 ? " (and " + (notes.size() - 1) + " more tensors)" : ""));
        }
        if (!dropped.isEmpty()) {
            note("GGUF array metadata has no safetensors form and was left out: " + String.join(", ", dropped));
        }
        if (!quiet) {
            Terminal.line(err(), String.format(Locale.ROOT, "converted %d tensors: %s -> %s in %.1f s, wrote %s",
                    count, Sizes.bytes(inBytes), Sizes.bytes(Files.size(output)), elapsed(), output));
        }
        return Main.OK;
    }
}

package dev.quant4j.cli;

import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;

/**
 * {@code IN OUT} and the output options of the commands that read one model and write another
 * ({@code quantize}, {@code dequantize}, {@code convert}; {@code @Mixin}).
 */
final class InOutOptions {
    @Parameters(index = "0", paramLabel = "IN", description = "The file to read: .safetensors or .gguf, or a sharded "
            + "checkpoint (a folder with model.safetensors.index.json, or that index).")
    Path input;

    @Parameters(index = "1", paramLabel = "OUT", description = "The file to write (replaced atomically); a folder "
            + "for a sharded checkpoint.")
    Path output;

    @Option(names = {"-q", "--quiet"}, description = "Do not print the summary line.")
    boolean quiet;
}

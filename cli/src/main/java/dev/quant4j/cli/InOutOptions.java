package dev.quant4j.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code IN OUT} and the output options of the commands that read one model and write another
 * ({@code quantize}, {@code dequantize}, {@code convert}; {@code @Mixin}).
 */
final class InOutOptions {
    @Parameters(
            index = "0",
            paramLabel = "IN",
            description = "The file to read: .safetensors or .gguf, or a sharded "
                    + "checkpoint (a folder with model.safetensors.index.json, or that index).")
    Path input;

    @Parameters(
            index = "1",
            paramLabel = "OUT",
            description = "The file to write (replaced atomically); a folder "
                    + "for a sharded checkpoint or --max-shard-size.")
    Path output;

    @Option(
            names = "--max-shard-size",
            paramLabel = "SIZE",
            converter = Converters.SizeConverter.class,
            description = "Write OUT as a folder of safetensors shards of at most SIZE bytes of tensor data each "
                    + "(model-00001-of-0000N.safetensors, in tensor order) and model.safetensors.index.json. Units "
                    + "as Hugging Face's max_shard_size: B, KB, MB, GB (powers of 1000), KiB, MiB, GiB (1024), e.g. "
                    + "2GB. A tensor larger than SIZE gets a shard of its own, with a note.")
    Long maxShardSize;

    @Option(
            names = {"-q", "--quiet"},
            description = "Do not print the summary line.")
    boolean quiet;
}

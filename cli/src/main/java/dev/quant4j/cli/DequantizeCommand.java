package dev.quant4j.cli;

import dev.quant4j.io.Dtype;
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

/** Writes every quantized and 16-bit float tensor back as F32; other tensors are copied. Streams like quantize. */
@Command(name = "dequantize", mixinStandardHelpOptions = true,
        description = {"Write every tensor of a safetensors file back as float32.",
                "Quantized tensors are dequantized (q * s), F16 and BF16 tensors widened (exactly), F32 and "
                        + "non-float tensors (integers, F64, ...) copied unchanged."})
final class DequantizeCommand extends FileCommand {
    @Parameters(index = "0", paramLabel = "IN", description = "The safetensors file to read.")
    Path input;

    @Parameters(index = "1", paramLabel = "OUT", description = "The file to write (replaced atomically).")
    Path output;

    @Option(names = "--strict", description = "Refuse (exit 2) a quantized tensor whose values overflow float32 "
            + "(q * s beyond the largest float), instead of writing them as +-Inf with a warning.")
    boolean strict;

    @Option(names = {"-q", "--quiet"}, description = "Do not print the summary line.")
    boolean quiet;

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
        int dequantized = 0;
        int widened = 0;
        int copied = 0;
        long inBytes;
        try (SafetensorsReader in = open(input)) {
            printWarnings(in);
            inBytes = in.fileSize();
            List<TensorSpec> specs = new ArrayList<>();
            try (Progress progress = Progress.start(err(), this.progress, "dequantize", in.fileSize() - in.dataStart())) {
                for (SafetensorsEntry e : in.entries()) {
                    String name = e.name();
                    switch (e) {
                        case QuantizedInfo q -> {
                            specs.add(TensorSpec.floats(name, q.shape(), Dtype.F32, () -> {
                                begin(progress, name);
                                float[] x = in.readQuantized(q).dequantize().data();
                                countInfinities(name, x);
                                progress.advance(q.byteSize());
                                return x;
                            }));
                            dequantized++;
                        }
                        case TensorInfo t when t.dtype() == Dtype.F16 || t.dtype() == Dtype.BF16 -> {
                            specs.add(TensorSpec.floats(name, intShape(name, t.shape()), Dtype.F32, () -> {
                                begin(progress, name);
                                float[] x = in.readFloats(t);
                                progress.advance(t.byteSize());
                                return x;
                            }));
                            widened++;
                        }
                        case TensorInfo t -> {
                            specs.add(copyWithProgress(in, t, progress));
                            copied++;
                        }
                    }
                }
                GgufFiles.write(output, in.userMetadata(), specs);
            }
        }
        if (infinite > 0) {
            warn(infinite + " values overflowed float32 and were written as +-Inf (the first in tensor '"
                    + firstInfinite + "'): q * s is beyond the largest float; --strict refuses such files");
        }
        if (!quiet) {
            Terminal.line(err(), String.format(Locale.ROOT, "dequantized %d tensors (%d widened to F32, %d copied): "
                            + "%s -> %s "
                            + "in %.1f s, wrote %s", dequantized, widened, copied, Sizes.bytes(inBytes),
                    Sizes.bytes(Files.size(output)), elapsed(), output));
        }
        return Main.OK;
    }
}

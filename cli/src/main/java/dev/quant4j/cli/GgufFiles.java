package dev.quant4j.cli;

import dev.quant4j.io.DisplayText;
import dev.quant4j.io.Dtype;
import dev.quant4j.io.gguf.GgmlBlocks;
import dev.quant4j.io.gguf.GgufReader;
import dev.quant4j.io.gguf.GgufValue;
import dev.quant4j.io.gguf.GgufWriter;
import dev.quant4j.io.SafetensorsWriter;
import dev.quant4j.io.TensorSpec;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The file formats of the commands, chosen by extension: {@code .gguf} is GGUF (llama.cpp's), anything
 * else safetensors. Tensors are planned once as {@link TensorSpec}s; this class writes them in either
 * format and plans a GGUF file's tensors as specs.
 */
final class GgufFiles {
    private GgufFiles() {
    }

    static boolean isGguf(Path file) {
        Path name = file.getFileName();
        return name != null && name.toString().toLowerCase(Locale.ROOT).endsWith(".gguf");
    }

    /**
     * Writes the planned tensors to {@code output} in the format its extension names. For GGUF every
     * quantized tensor needs a ggml twin; the error names the tensor and the schemes that map.
     */
    static void write(Path output, Map<String, String> metadata, List<TensorSpec> specs) throws IOException {
        write(output, metadata, specs, Map.of());
    }

    /**
     * As {@link #write(Path, Map, List)}, with the tensors named in {@code ggml} written as those GGUF
     * tensors instead of their specs (ggml's own quantizers: a K-quant recipe), in the specs' order.
     */
    static void write(Path output, Map<String, String> metadata, List<TensorSpec> specs,
                      Map<String, GgufWriter.Tensor> ggml) throws IOException {
        if (!isGguf(output)) {
            SafetensorsWriter.write(output, metadata, specs);
            return;
        }
        List<GgufWriter.Tensor> tensors = new ArrayList<>(specs.size());
        for (TensorSpec s : specs) {
            try {
                tensors.add(ggml.containsKey(s.name()) ? ggml.get(s.name()) : GgufWriter.Tensor.of(s));
            } catch (IllegalArgumentException e) {
                throw new CliException(e.getMessage() + "; write a .safetensors file instead, or give such tensors "
                        + "a scheme that maps (--scheme q8_0, q4_0 or mxfp4, or --rule GLOB=SPEC)");
            }
        }
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            kv.put(e.getKey(), GgufValue.string(e.getValue()));
        }
        GgufWriter.write(output, kv, tensors);
    }

    /**
     * Safetensors metadata for a GGUF file's keys: strings as they are, numbers and booleans as text;
     * arrays (a vocabulary, say) have no string form and are listed in {@code dropped}.
     */
    static Map<String, String> metadata(GgufReader in, List<String> dropped) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, GgufValue> e : in.metadata().entrySet()) {
            GgufValue v = e.getValue();
            if (e.getKey().startsWith("quant4j.") || e.getKey().equals(GgufWriter.QUANTIZATION_VERSION_KEY)
                    || e.getKey().equals(GgufReader.ALIGNMENT_KEY)) {
                continue;
            }
            switch (v.type()) {
                case ARRAY -> dropped.add(e.getKey());
                case STRING -> out.put(e.getKey(), v.asString());
                default -> out.put(e.getKey(), v.describe());
            }
        }
        return out;
    }

    /**
     * A GGUF file's tensors as specs: Q8_0, Q4_0 and MXFP4 tensors whose every block has an exact
     * equivalent as our quantized tensors (codes and scales as they are); F32, F16, BF16 and the integer
     * types as their bytes; other block types quant4j reads (and twins with blocks that have no exact
     * equivalent) dequantized to F32, each named in {@code dequantized}.
     */
    static List<TensorSpec> specs(GgufReader in, FileCommand command, Progress progress, List<String> dequantized)
            throws IOException {
        List<TensorSpec> out = new ArrayList<>();
        for (GgufReader.TensorInfo t : in.tensors()) {
            String name = t.name();
            int[] shape = in.intShape(t);
            MemorySegment data = in.data(t);
            Dtype plain = switch (t.type()) {
                case F32 -> Dtype.F32;
                case F16 -> Dtype.F16;
                case BF16 -> Dtype.BF16;
                case I8 -> Dtype.I8;
                case I16 -> Dtype.I16;
                case I32 -> Dtype.I32;
                case I64 -> Dtype.I64;
                case F64 -> Dtype.F64;
                default -> null;
            };
            if (plain != null) {
                out.add(new TensorSpec.Raw(name, plain, t.shape(), sink -> {
                    command.begin(progress, name);
                    sink.write(data);
                    progress.advance(t.byteSize());
                }));
            } else if (GgmlBlocks.schemeOf(t.type()) != null
                    && GgmlBlocks.hasExactTwin(data, t.type(), t.elementCount() / t.type().blockSize())) {
                out.add(TensorSpec.quantized(name, shape, GgmlBlocks.schemeOf(t.type()), () -> {
                    command.begin(progress, name);
                    var q = in.readQuantized(t);
                    progress.advance(t.byteSize());
                    return q;
                }));
            } else if (t.type().readable()) {
                dequantized.add(name + " (" + t.type().ggmlName() + ")");
                out.add(TensorSpec.floats(name, shape, Dtype.F32, () -> {
                    command.begin(progress, name);
                    float[] x = in.readFloatTensor(t).data();
                    progress.advance(t.byteSize());
                    return x;
                }));
            } else {
                throw new CliException("tensor '" + DisplayText.escape(name) + "' is ggml type "
                        + t.type().ggmlName() + ", which quant4j cannot read; it reads "
                        + GgmlBlocks.readableNames());
            }
        }
        return out;
    }
}

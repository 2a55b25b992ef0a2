package dev.quant4j.cli;

import dev.quant4j.io.Dtype;
import dev.quant4j.io.SafetensorsWriter;
import dev.quant4j.io.TensorSpec;
import dev.quant4j.io.gguf.GgmlType;
import dev.quant4j.io.gguf.GgufReader;
import dev.quant4j.io.gguf.GgufValue;
import dev.quant4j.io.gguf.GgufWriter;
import java.io.IOException;
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
    private GgufFiles() {}

    static boolean isGguf(Path file) {
        Path name = file.getFileName();
        return name != null && name.toString().toLowerCase(Locale.ROOT).endsWith(".gguf");
    }

    /**
     * Writes the planned tensors to {@code output} in the format its extension names, with the metadata of
     * {@code source} (a GGUF file's keys with their types into GGUF, as text into safetensors). For GGUF
     * every quantized tensor needs a ggml twin; the error names the tensor and the schemes that map.
     */
    static void write(Path output, InputFile source, List<TensorSpec> specs) throws IOException {
        write(output, source, specs, Map.of());
    }

    /**
     * As {@link #write(Path, InputFile, List)}, with the tensors named in {@code ggml} written as those
     * GGUF tensors instead of their specs (ggml's own quantizers: a K-quant recipe), in the specs' order.
     */
    static void write(Path output, InputFile source, List<TensorSpec> specs, Map<String, GgufWriter.Tensor> ggml)
            throws IOException {
        if (!isGguf(output)) {
            SafetensorsWriter.write(output, source.metadata(), specs);
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
        if (source.isGguf()) {
            kv.putAll(source.ggufMetadata());
        } else {
            for (Map.Entry<String, String> e : source.metadata().entrySet()) {
                kv.put(e.getKey(), GgufValue.string(e.getValue()));
            }
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
            if (e.getKey().startsWith("quant4j.")
                    || e.getKey().equals(GgufWriter.QUANTIZATION_VERSION_KEY)
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

    /** The dtype of a plain ggml type (F32, F16, BF16, the integers, F64), or null for a block type. */
    static Dtype dtypeOf(GgmlType type) {
        return switch (type) {
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
    }
}

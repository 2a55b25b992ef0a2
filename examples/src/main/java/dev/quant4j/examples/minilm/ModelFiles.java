package dev.quant4j.examples.minilm;

import dev.quant4j.io.Dtype;
import dev.quant4j.io.QuantizedInfo;
import dev.quant4j.io.SafetensorsEntry;
import dev.quant4j.io.SafetensorsReader;
import dev.quant4j.io.SafetensorsWriter;
import dev.quant4j.io.TensorInfo;
import dev.quant4j.io.TensorSpec;
import dev.quant4j.model.Quantization;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Saving and loading the demo's models as safetensors: the model's state as
 * {@link Quantization#exportState} names it (quantized tensors as quant4j codes + scales, the rest F32),
 * so a file saved from either model variant loads into either; and the float32 reference vectors the
 * demo compares a loaded model against.
 */
final class ModelFiles {

    /** Next to the saved models: the float32 vectors of the sentences they were run on. */
    static final String REFERENCE_FILE = "f32-reference.safetensors";
    static final String REFERENCE_TENSOR = "embeddings";
    static final String SENTENCE_INDICES = "sentence_indices";

    private ModelFiles() {
    }

    /** The file a scheme's model is saved to: its text form with ':' turned into '-'. */
    static Path fileFor(Path dir, String scheme) {
        return dir.resolve(scheme.replace(':', '-') + ".safetensors");
    }

    /** Writes the model's state (temporary file, then rename). */
    static void save(Object model, Path file, Map<String, String> metadata) throws IOException {
        List<TensorSpec> specs = new ArrayList<>();
        for (Map.Entry<String, Object> e : Quantization.exportState(model).entrySet()) {
            specs.add(switch (e.getValue()) {
                case QuantizedTensor q -> TensorSpec.quantized(e.getKey(), q);
                case FloatTensor f -> TensorSpec.floats(e.getKey(), f, Dtype.F32);
                default -> throw new IllegalStateException("unexpected state value for " + e.getKey());
            });
        }
        SafetensorsWriter.write(file, metadata, specs);
    }

    /** A saved model state, read into memory: quantized tensors stay quantized, nothing is dequantized. */
    record State(Map<String, Object> tensors, MiniLmConfig config, String scheme, long bytes) {
    }

    /**
     * Reads a saved model. The scheme is that of its quantized tensors ({@code f32} when there are none,
     * {@code mixed} when they differ).
     *
     * @throws IOException naming the file (and tensor, offset) when it is not a saved MiniLM model
     */
    static State load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("no such file: " + file + " (save models first with ./quant4j demo --save DIR)");
        }
        Map<String, Object> tensors = new LinkedHashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        TreeSet<String> schemes = new TreeSet<>();
        long bytes = 0;
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            for (SafetensorsEntry e : reader.entries()) {
                switch (e) {
                    case QuantizedInfo q -> {
                        QuantizedTensor t = reader.readQuantized(q);
                        tensors.put(e.name(), t);
                        shapes.put(e.name(), t.shape());
                        schemes.add(t.scheme().toString());
                        bytes += t.byteSize();
                    }
                    case TensorInfo t -> {
                        if (t.dtype() != Dtype.F32) {
                            throw new IOException(file + ": tensor '" + t.name() + "' is " + t.dtype()
                                    + "; a saved demo model holds F32 and quant4j-quantized tensors only");
                        }
                        FloatTensor f = reader.readFloatTensor(t);
                        tensors.put(e.name(), f);
                        shapes.put(e.name(), f.shape());
                        bytes += f.byteSize();
                    }
                }
            }
        }
        MiniLmConfig config;
        try {
            config = MiniLmConfig.of(shapes);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        String scheme = schemes.isEmpty() ? DemoOptions.F32 : schemes.size() == 1 ? schemes.first() : "mixed";
        return new State(tensors, config, scheme, bytes);
    }

    /** Writes the float32 vectors of the sentences (by index into the sentence file). */
    static void saveReference(Path dir, List<Integer> indices, float[][] vectors) throws IOException {
        int dim = vectors.length == 0 ? 0 : vectors[0].length;
        float[] flat = new float[vectors.length * dim];
        for (int i = 0; i < vectors.length; i++) {
            System.arraycopy(vectors[i], 0, flat, i * dim, dim);
        }
        StringBuilder list = new StringBuilder();
        for (int i : indices) {
            list.append(list.isEmpty() ? "" : ",").append(i);
        }
        SafetensorsWriter.write(dir.resolve(REFERENCE_FILE), Map.of(SENTENCE_INDICES, list.toString()),
                List.of(TensorSpec.floats(REFERENCE_TENSOR, FloatTensor.of(flat, vectors.length, dim), Dtype.F32)));
    }

    /** Float32 reference vectors and the sentences they belong to. */
    record Reference(List<Integer> indices, float[][] vectors) {
    }

    /** Reads {@link #REFERENCE_FILE} from the folder of a saved model. */
    static Reference loadReference(Path modelFile) throws IOException {
        Path dir = modelFile.toAbsolutePath().getParent();
        Path file = dir.resolve(REFERENCE_FILE);
        if (!Files.isRegularFile(file)) {
            throw new IOException("no " + REFERENCE_FILE + " next to " + modelFile + ": --load compares against the"
                    + " float32 vectors that --save writes there; save the models again with ./quant4j demo --save "
                    + dir);
        }
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            String list = reader.userMetadata().get(SENTENCE_INDICES);
            if (list == null) {
                throw new IOException(file + " has no '" + SENTENCE_INDICES + "' metadata; write it again with --save");
            }
            List<Integer> indices = new ArrayList<>();
            try {
                for (String s : list.split(",")) {
                    indices.add(Integer.parseInt(s.strip()));
                }
            } catch (NumberFormatException e) {
                throw new IOException(file + ": bad '" + SENTENCE_INDICES + "' metadata: " + e.getMessage(), e);
            }
            FloatTensor t = reader.readFloatTensor(REFERENCE_TENSOR);
            int[] shape = t.shape();
            if (shape.length != 2 || shape[0] != indices.size()) {
                throw new IOException(file + ": tensor '" + REFERENCE_TENSOR + "' has shape " + Arrays.toString(shape)
                        + " but the metadata lists " + indices.size() + " sentences");
            }
            float[][] vectors = new float[shape[0]][];
            for (int i = 0; i < shape[0]; i++) {
                vectors[i] = Arrays.copyOfRange(t.data(), i * shape[1], (i + 1) * shape[1]);
            }
            return new Reference(indices, vectors);
        }
    }
}

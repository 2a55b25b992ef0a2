package dev.quant4j.examples.minilm.demo;

import dev.quant4j.examples.minilm.MiniLmConfig;
import dev.quant4j.examples.minilm.SentenceEncoder;
import dev.quant4j.io.Dtype;
import dev.quant4j.io.QuantizedInfo;
import dev.quant4j.io.SafetensorsEntry;
import dev.quant4j.io.SafetensorsReader;
import dev.quant4j.io.SafetensorsWriter;
import dev.quant4j.io.TensorSpec;
import dev.quant4j.model.ModelFiles;
import dev.quant4j.tensor.FloatTensor;
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
 * The demo's saved models: each is the model's whole state written by the runtime's
 * {@link ModelFiles} (quantized tensors as quant4j codes + scales, the rest F32, named by field path),
 * so a file saved from either model variant loads into either. Next to them, the float32 reference
 * vectors the demo compares a loaded model against.
 */
final class SavedModels {

    /** Next to the saved models: the float32 vectors of the sentences they were run on. */
    static final String REFERENCE_FILE = "f32-reference.safetensors";

    static final String REFERENCE_TENSOR = "embeddings";
    static final String SENTENCE_INDICES = "sentence_indices";

    private SavedModels() {}

    /** The file a scheme's model is saved to: its text form with ':' turned into '-'. */
    static Path fileFor(Path dir, String scheme) {
        return dir.resolve(scheme.replace(':', '-') + ".safetensors");
    }

    /** Writes the model's state (temporary file, then rename). */
    static void save(Object model, Path file) throws IOException {
        ModelFiles.save(model, file, Map.of("model", "all-MiniLM-L6-v2", "saved_by", "./quant4j demo --save"));
    }

    /** What a saved model's header says: its sizes and scheme; no tensor is read. */
    record Header(MiniLmConfig config, String scheme) {}

    /**
     * Reads a saved model's header. The scheme is that of its quantized tensors ({@code f32} when there
     * are none, {@code mixed} when they differ).
     *
     * @throws IOException naming the file (and tensor, offset) when it is not a saved MiniLM model
     */
    static Header header(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("no such file: " + file + " (save models first with ./quant4j demo --save DIR)");
        }
        Map<String, int[]> shapes = new LinkedHashMap<>();
        TreeSet<String> schemes = new TreeSet<>();
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            for (SafetensorsEntry e : reader.entries()) {
                long[] shape = e.shapeLong();
                int[] ints = new int[shape.length];
                for (int i = 0; i < shape.length; i++) {
                    ints[i] = (int) Math.min(shape[i], Integer.MAX_VALUE);
                }
                shapes.put(e.name(), ints);
                if (e instanceof QuantizedInfo q) {
                    schemes.add(q.scheme().toString());
                }
            }
        }
        try {
            String scheme = schemes.isEmpty() ? DemoOptions.F32 : schemes.size() == 1 ? schemes.first() : "mixed";
            return new Header(MiniLmConfig.of(shapes), scheme);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Builds the model variant for {@code mode} from a saved file: the structure from the header, the
     * weights as stored (quantized ones stay quantized; their float32 values are never built).
     */
    static SentenceEncoder load(Path file, DemoMode mode) throws IOException {
        Header h = header(file);
        SentenceEncoder model = mode.emptyModel(h.config());
        ModelFiles.load(model, file);
        return model;
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
        SafetensorsWriter.write(
                dir.resolve(REFERENCE_FILE),
                Map.of(SENTENCE_INDICES, list.toString()),
                List.of(TensorSpec.floats(REFERENCE_TENSOR, FloatTensor.of(flat, vectors.length, dim), Dtype.F32)));
    }

    /** Float32 reference vectors and the sentences they belong to. */
    record Reference(List<Integer> indices, float[][] vectors) {}

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

package dev.quant4j.spark;

import dev.quant4j.io.Dtype;
import dev.quant4j.io.SafetensorsWriter;
import dev.quant4j.io.TensorSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a synthetic sharded BF16 checkpoint for the benchmark in docs/SPARK.md:
 * {@code GenerateCheckpoint DIR SHARDS TENSORS_PER_SHARD ROWS COLS} (seeded, so every run is the same).
 */
public final class GenerateCheckpoint {
    private GenerateCheckpoint() {}

    public static void main(String[] args) throws Exception {
        Path dir = Files.createDirectories(Path.of(args[0]));
        int shards = Integer.parseInt(args[1]);
        int perShard = Integer.parseInt(args[2]);
        int rows = Integer.parseInt(args[3]);
        int cols = Integer.parseInt(args[4]);
        StringBuilder map = new StringBuilder();
        for (int s = 0; s < shards; s++) {
            String shard = String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
            List<TensorSpec> specs = new ArrayList<>();
            for (int t = 0; t < perShard; t++) {
                String name = "model.layers." + s + ".w" + t + ".weight";
                long seed = 31L * s + t;
                specs.add(TensorSpec.floats(name, new int[] {rows, cols}, Dtype.BF16, () -> {
                    SplittableRandom rnd = new SplittableRandom(seed);
                    float[] v = new float[rows * cols];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) (rnd.nextDouble() - 0.5) * 0.1f;
                    }
                    return v;
                }));
                map.append(map.isEmpty() ? "" : ",\n")
                        .append("    \"")
                        .append(name)
                        .append("\": \"")
                        .append(shard)
                        .append('"');
            }
            SafetensorsWriter.write(dir.resolve(shard), Map.of("format", "pt"), specs);
        }
        Files.writeString(
                dir.resolve("model.safetensors.index.json"),
                "{\n  \"metadata\": {},\n  \"weight_map\": {\n" + map + "\n  }\n}\n");
    }
}

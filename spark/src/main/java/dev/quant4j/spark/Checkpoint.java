package dev.quant4j.spark;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.quant4j.io.DisplayText;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The shards of a checkpoint folder: those {@code model.safetensors.index.json} names, or every
 * {@code *.safetensors} file when there is no index.
 *
 * @param weightMap the index's tensor-to-shard map, or null without an index
 * @param indexMetadata the index's {@code metadata} object, or null
 */
record Checkpoint(Path folder, List<String> shards, Map<String, String> weightMap, JsonObject indexMetadata) {
    static final String INDEX = "model.safetensors.index.json";

    static Checkpoint open(FileSystem fs, Path folder) throws IOException {
        if (!fs.exists(folder)) {
            throw new BadCheckpointException("no such file or folder: " + folder);
        }
        if (!fs.getFileStatus(folder).isDirectory()) {
            throw new BadCheckpointException(folder + " is a file; give the folder of a checkpoint's shards");
        }
        Path index = new Path(folder, INDEX);
        if (!fs.exists(index)) {
            TreeSet<String> names = new TreeSet<>();
            for (FileStatus s : fs.listStatus(folder)) {
                String n = s.getPath().getName();
                if (s.isFile() && n.endsWith(".safetensors") && !n.startsWith(".")) {
                    names.add(n);
                }
            }
            if (names.isEmpty()) {
                throw new BadCheckpointException(folder + " holds no " + INDEX + " and no *.safetensors file");
            }
            return new Checkpoint(folder, List.copyOf(names), null, null);
        }
        long size = fs.getFileStatus(index).getLen();
        if (size > Integer.MAX_VALUE - 8) {
            throw new BadCheckpointException(index + " has " + size + " bytes; an index is a small JSON file");
        }
        String text = new String(HadoopRanges.read(fs, index, 0, (int) size), StandardCharsets.UTF_8);
        JsonObject root;
        try {
            root = JsonParser.parseString(text).getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new BadCheckpointException(index + " is not a JSON object: " + DisplayText.escape(e.getMessage()));
        }
        if (!(root.get("weight_map") instanceof JsonObject map)) {
            throw new BadCheckpointException(index + " has no \"weight_map\" object mapping tensor names to shards");
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        LinkedHashSet<String> shards = new LinkedHashSet<>();
        for (Map.Entry<String, JsonElement> e : map.entrySet()) {
            if (!e.getValue().isJsonPrimitive()
                    || !e.getValue().getAsJsonPrimitive().isString()) {
                throw new BadCheckpointException(
                        index + ": weight_map[\"" + DisplayText.escape(e.getKey()) + "\"] is not a file name");
            }
            String shard = e.getValue().getAsString();
            if (shard.isEmpty() || shard.contains("/") || shard.contains("\\") || shard.startsWith(".")) {
                throw new BadCheckpointException(index + ": weight_map[\"" + DisplayText.escape(e.getKey())
                        + "\"] is \"" + DisplayText.escape(shard) + "\", not a file name in " + folder);
            }
            weightMap.put(e.getKey(), shard);
            shards.add(shard);
        }
        List<String> sorted = new ArrayList<>(new TreeSet<>(shards));
        for (String shard : sorted) {
            if (!fs.exists(new Path(folder, shard))) {
                throw new BadCheckpointException(index + " puts tensors in shard '" + DisplayText.escape(shard)
                        + "', which is not in " + folder + "; restore the shard or fix the index");
            }
        }
        JsonObject metadata = root.get("metadata") instanceof JsonObject m ? m : null;
        return new Checkpoint(folder, sorted, weightMap, metadata);
    }

    /** Checks the index against one shard's stored tensors, both ways. */
    void checkShard(String shard, List<String> storedNames) {
        if (weightMap == null) {
            return;
        }
        Path index = new Path(folder, INDEX);
        java.util.Set<String> stored = new java.util.HashSet<>(storedNames);
        for (String name : storedNames) {
            String listed = weightMap.get(name);
            if (!shard.equals(listed)) {
                throw new BadCheckpointException(index
                        + (listed == null
                                ? " does not list tensor '" + DisplayText.escape(name) + "'"
                                : " puts tensor '" + DisplayText.escape(name) + "' in '" + DisplayText.escape(listed)
                                        + "'")
                        + ", but it is stored in " + new Path(folder, shard)
                        + "; the index does not match the shards: fix or regenerate it");
            }
        }
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            if (e.getValue().equals(shard) && !stored.contains(e.getKey())) {
                throw new BadCheckpointException(index + " puts tensor '" + DisplayText.escape(e.getKey())
                        + "' in " + new Path(folder, shard) + ", which has no tensor of that name; the index "
                        + "does not match the shards: fix or regenerate it");
            }
        }
    }
}

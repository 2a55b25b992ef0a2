package dev.quant4j.io;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Hugging Face sharded checkpoint: a folder of safetensors shards and {@code model.safetensors.index.json},
 * whose {@code weight_map} names the shard of every tensor. Reading the index checks it as untrusted
 * input: strict JSON, shard names that are plain file names in the folder (no paths), every shard present.
 */
public final class ShardedCheckpoint {
    public static final String INDEX = "model.safetensors.index.json";
    /** Largest index file read (a 400B-parameter model's index is a few MB). */
    static final long MAX_INDEX_BYTES = 64L << 20;

    private final Path dir;
    private final Map<String, String> weightMap;
    private final List<String> shards;

    private ShardedCheckpoint(Path dir, Map<String, String> weightMap, List<String> shards) {
        this.dir = dir;
        this.weightMap = weightMap;
        this.shards = shards;
    }

    /** True for a folder holding {@value #INDEX}, or for such an index file itself. */
    public static boolean isSharded(Path path) {
        return Files.isDirectory(path)
                ? Files.isRegularFile(path.resolve(INDEX))
                : path.getFileName() != null && path.getFileName().toString().endsWith(".safetensors.index.json");
    }

    /**
     * Reads the index of a folder (or the index file itself) and checks that every shard it names exists.
     *
     * @throws IOException naming the index and the fault: bad JSON, no weight_map, a shard name that is a
     *                     path, a missing shard
     */
    public static ShardedCheckpoint open(Path path) throws IOException {
        Path index = Files.isDirectory(path) ? path.resolve(INDEX) : path;
        Path dir = index.toAbsolutePath().getParent();
        if (!Files.isRegularFile(index)) {
            throw new NoSuchFileException(index.toString(), null, "a sharded checkpoint needs its " + INDEX);
        }
        if (Files.size(index) > MAX_INDEX_BYTES) {
            throw new ShardIndexException(index + ": the index has " + Files.size(index) + " bytes, more than the "
                    + MAX_INDEX_BYTES + " this reader takes");
        }
        JsonObject root;
        try {
            JsonElement e = JsonParser.parseString(Files.readString(index, StandardCharsets.UTF_8));
            if (!e.isJsonObject()
                    || !e.getAsJsonObject().has("weight_map")
                    || !e.getAsJsonObject().get("weight_map").isJsonObject()) {
                throw new ShardIndexException(index + ": not a safetensors index: it has no \"weight_map\" object");
            }
            root = e.getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new ShardIndexException(
                    index + ": not valid JSON: " + DisplayText.escape(String.valueOf(e.getMessage())), e);
        }
        Map<String, String> map = new LinkedHashMap<>();
        Set<String> shards = new LinkedHashSet<>();
        for (Map.Entry<String, JsonElement> e :
                root.getAsJsonObject("weight_map").entrySet()) {
            if (!e.getValue().isJsonPrimitive()
                    || !e.getValue().getAsJsonPrimitive().isString()) {
                throw new ShardIndexException(
                        index + ": weight_map entry '" + DisplayText.escape(e.getKey()) + "' is not a shard file name");
            }
            String shard = e.getValue().getAsString();
            if (shard.isEmpty()
                    || shard.contains("/")
                    || shard.contains("\\")
                    || shard.equals("..")
                    || shard.equals(".")) {
                throw new ShardIndexException(index + ": tensor '" + DisplayText.escape(e.getKey()) + "' names shard '"
                        + DisplayText.escape(shard) + "', which is not a plain file name in the index's folder");
            }
            map.put(e.getKey(), shard);
            shards.add(shard);
        }
        for (String s : shards) {
            if (!Files.isRegularFile(dir.resolve(s))) {
                throw new NoSuchFileException(
                        dir.resolve(s).toString(),
                        null,
                        "shard '" + DisplayText.escape(s) + "' named by " + index
                                + " is missing; copy it next to the index");
            }
        }
        return new ShardedCheckpoint(dir, map, List.copyOf(shards));
    }

    public Path dir() {
        return dir;
    }

    /** Tensor name to shard file name, as the index lists them. */
    public Map<String, String> weightMap() {
        return weightMap;
    }

    /** The shards' files, in the order the index first names them. */
    public List<Path> shards() {
        List<Path> out = new ArrayList<>();
        for (String s : shards) {
            out.add(dir.resolve(s));
        }
        return out;
    }

    /**
     * Writes {@value #INDEX} for shards already written in {@code dir}: every tensor of each shard file
     * (a quantized tensor's scales included) mapped to it, and the total size of the tensor data.
     */
    public static void writeIndex(Path dir, List<Path> shardFiles) throws IOException {
        Map<String, String> map = new LinkedHashMap<>();
        long total = 0;
        for (Path shard : shardFiles) {
            try (SafetensorsReader r = SafetensorsReader.open(shard)) {
                total += r.fileSize() - r.dataStart();
                for (TensorInfo t : r.tensors()) {
                    map.put(t.name(), shard.getFileName().toString());
                }
            }
        }
        StringWriter sw = new StringWriter();
        try (JsonWriter w = new JsonWriter(sw)) {
            w.setIndent("  ");
            w.beginObject()
                    .name("metadata")
                    .beginObject()
                    .name("total_size")
                    .value(total)
                    .endObject();
            w.name("weight_map").beginObject();
            for (Map.Entry<String, String> e : map.entrySet()) {
                w.name(e.getKey()).value(e.getValue());
            }
            w.endObject().endObject();
        }
        byte[] text = (sw + "\n").getBytes(StandardCharsets.UTF_8);
        AtomicOutput.write(dir.resolve(INDEX), ch -> {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(text);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        });
    }
}

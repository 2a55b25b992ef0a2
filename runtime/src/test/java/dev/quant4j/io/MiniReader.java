package dev.quant4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A minimal safetensors reader written from the format's description only, sharing no code with
 * {@link SafetensorsReader}: it proves that what the writer produces is a plain, valid file that other
 * readers open. It is as strict as the reference implementation: data contiguous from 0 to the end of
 * the file, standard dtypes, sizes matching shapes.
 */
final class MiniReader {
    record Tensor(String dtype, long[] shape, byte[] data) {}

    static final Map<String, Integer> BITS = Map.ofEntries(
            Map.entry("BOOL", 8),
            Map.entry("U8", 8),
            Map.entry("I8", 8),
            Map.entry("F8_E5M2", 8),
            Map.entry("F8_E4M3", 8),
            Map.entry("I16", 16),
            Map.entry("U16", 16),
            Map.entry("F16", 16),
            Map.entry("BF16", 16),
            Map.entry("I32", 32),
            Map.entry("U32", 32),
            Map.entry("F32", 32),
            Map.entry("F64", 64),
            Map.entry("I64", 64),
            Map.entry("U64", 64));

    final Map<String, String> metadata = new LinkedHashMap<>();
    final Map<String, Tensor> tensors = new LinkedHashMap<>();

    static MiniReader read(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        MiniReader r = new MiniReader();
        long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertTrue(n > 0 && n <= all.length - 8, "header length " + n);
        assertEquals(0, (8 + n) % 8, "the data section should start 8-byte aligned");
        String json = new String(all, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(json.startsWith("{"), "header starts with {");
        assertTrue(json.substring(json.lastIndexOf('}') + 1).isBlank(), "only spaces after the JSON");
        JsonObject header = JsonParser.parseString(json).getAsJsonObject();
        int dataStart = (int) (8 + n);
        record Range(String name, long begin, long end) {}
        List<Range> ranges = new ArrayList<>();
        for (Map.Entry<String, JsonElement> e : header.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                for (Map.Entry<String, JsonElement> m :
                        e.getValue().getAsJsonObject().entrySet()) {
                    r.metadata.put(m.getKey(), m.getValue().getAsString());
                }
                continue;
            }
            JsonObject t = e.getValue().getAsJsonObject();
            assertEquals(Set.of("dtype", "shape", "data_offsets"), t.keySet(), e.getKey());
            String dtype = t.get("dtype").getAsString();
            Integer bits = BITS.get(dtype);
            if (bits == null) {
                fail("tensor " + e.getKey() + " has a dtype outside the standard set: " + dtype);
            }
            long[] shape = new long[t.get("shape").getAsJsonArray().size()];
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = t.get("shape").getAsJsonArray().get(i).getAsLong();
                count *= shape[i];
            }
            long begin = t.get("data_offsets").getAsJsonArray().get(0).getAsLong();
            long end = t.get("data_offsets").getAsJsonArray().get(1).getAsLong();
            assertEquals(count * bits / 8, end - begin, "size of " + e.getKey());
            ranges.add(new Range(e.getKey(), begin, end));
            r.tensors.put(
                    e.getKey(),
                    new Tensor(dtype, shape, Arrays.copyOfRange(all, dataStart + (int) begin, dataStart + (int) end)));
        }
        ranges.sort(Comparator.comparingLong(Range::begin));
        long at = 0;
        for (Range range : ranges) {
            assertEquals(at, range.begin(), "tensor " + range.name() + " should start where the previous ended");
            at = range.end();
        }
        assertEquals(all.length - dataStart, at, "the data section should end with the last tensor");
        return r;
    }
}

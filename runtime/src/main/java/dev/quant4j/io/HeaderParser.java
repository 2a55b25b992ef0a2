package dev.quant4j.io;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads the JSON header of a safetensors file with gson's streaming reader in strict mode, so that the
 * structure is checked as it is read: one object; duplicate names rejected (gson's tree model would
 * keep the last one silently); no lone surrogates (strict mode refuses them, as the reference reader does); {@code __metadata__} a string-to-string map; each tensor entry exactly
 * {@code dtype} (a string), {@code shape} and {@code data_offsets} (arrays of whole numbers). Semantic
 * checks (known dtype, sizes, offsets) are the reader's, which knows the file's size.
 */
final class HeaderParser {
    static final String METADATA_KEY = "__metadata__";
    /** Valid headers nest 3 deep; unknown keys may nest more, but not without bound. */
    private static final int NESTING_LIMIT = 64;

    private static final int MAX_RANK = 1024;

    /**
     * A tensor entry as written; {@code headerOffset} is the file offset of its name (a char position
     * while parsing).
     */
    record RawTensor(String name, String dtype, long[] shape, long begin, long end, long headerOffset) {}

    /** The parsed header; {@code metadataOffsets} gives the file offset of each metadata key. */
    record Header(Map<String, String> metadata, Map<String, Long> metadataOffsets, List<RawTensor> tensors) {}

    private final Path file;
    private final String text;
    /** File offset of the first header byte (8). */
    private final long base;

    private JsonReader reader;
    private String currentTensor;
    /** Char positions of the metadata keys, converted to file offsets after parsing. */
    private final Map<String, Long> metadataChars = new LinkedHashMap<>();

    private HeaderParser(Path file, String text, long base) {
        this.file = file;
        this.text = text;
        this.base = base;
    }

    static Header parse(Path file, byte[] header, long base) throws SafetensorsFormatException {
        String text = decodeUtf8(file, header, base);
        if (header.length == 0 || header[0] != '{') {
            throw new SafetensorsFormatException(
                    file,
                    null,
                    base,
                    "the header must be a JSON object starting with '{' but starts with "
                            + (header.length == 0 ? "nothing" : describeByte(header[0]))
                            + "; this is not a safetensors file or its header is damaged");
        }
        return new HeaderParser(file, text, base).parse();
    }

    /**
     * Gson's message on one line, without its troubleshooting link and its advice to parse leniently
     * (which is not advice for someone whose file is damaged).
     */
    static String gsonMessage(Throwable e) {
        String m = String.valueOf(e.getMessage());
        int see = m.indexOf("\nSee ");
        if (see >= 0) {
            m = m.substring(0, see);
        }
        return m.replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON", "malformed JSON")
                .replace('\n', ' ')
                .strip();
    }

    private static String describeChar(char c) {
        return c >= 0x20 && c < 0x7F ? "'" + c + "'" : String.format("U+%04X", (int) c);
    }

    private static String describeByte(byte b) {
        int u = b & 0xFF;
        return u >= 0x20 && u < 0x7F ? "'" + (char) u + "'" : String.format("byte 0x%02X", u);
    }

    private static String decodeUtf8(Path file, byte[] header, long base) throws SafetensorsFormatException {
        CharsetDecoder decoder = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(header);
        // Validate through a small window, then build the String once: a large header is not held
        // twice as chars.
        CharBuffer window = CharBuffer.allocate(8192);
        CoderResult r;
        do {
            window.clear();
            r = decoder.decode(in, window, true);
        } while (r.isOverflow());
        if (!r.isError()) {
            window.clear();
            r = decoder.flush(window);
        }
        if (r.isError()) {
            throw new SafetensorsFormatException(
                    file,
                    null,
                    base + in.position(),
                    "the header is not valid UTF-8 (" + r.length() + " bad byte(s) at header byte " + in.position()
                            + "); the header must be UTF-8 JSON");
        }
        return new String(header, StandardCharsets.UTF_8);
    }

    private Header parse() throws SafetensorsFormatException {
        reader = new JsonReader(new StringReader(text));
        reader.setStrictness(Strictness.STRICT);
        reader.setNestingLimit(NESTING_LIMIT);
        Map<String, String> metadata = Collections.emptyMap();
        List<RawTensor> tensors = new ArrayList<>();
        Set<String> names = new HashSet<>();
        try {
            expect(JsonToken.BEGIN_OBJECT, "the header to be a JSON object");
            reader.beginObject();
            while (reader.hasNext()) {
                // hasNext() has consumed the name's opening quote; point at the quote.
                long nameOffset = here() - 1;
                String name = reader.nextName();
                currentTensor = METADATA_KEY.equals(name) ? null : name;
                if (!names.add(name)) {
                    throw error(
                            nameOffset,
                            METADATA_KEY.equals(name)
                                    ? "the header has two \"__metadata__\" entries; keep one"
                                    : "the header names this tensor twice; tensor names must be unique");
                }
                if (METADATA_KEY.equals(name)) {
                    metadata = readMetadata();
                } else {
                    tensors.add(readTensor(name, nameOffset));
                }
                currentTensor = null;
            }
            reader.endObject();
            // Checked by hand: in strict mode gson reports a second value with a hint to go lenient.
            int end = (int) here();
            for (int i = end; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                    throw error(
                            i,
                            "the header has more text after its JSON object (" + describeChar(c)
                                    + "); only spaces may follow it");
                }
            }
        } catch (SafetensorsFormatException e) {
            throw e;
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            // Gson's messages name the line, column and JSON path; add the file's view.
            throw error(here(), "the header is not valid JSON: " + gsonMessage(e), e);
        }
        // Char positions become file offsets in one pass over the text (a header may be large).
        TreeMap<Long, Long> offsets = new TreeMap<>();
        tensors.forEach(t -> offsets.put(t.headerOffset(), 0L));
        metadataChars.values().forEach(c -> offsets.put(c, 0L));
        long chars = 0;
        long bytes = base;
        for (Map.Entry<Long, Long> e : offsets.entrySet()) {
            bytes += fileOffset(chars, e.getKey()) - base;
            chars = e.getKey();
            e.setValue(bytes);
        }
        List<RawTensor> out = new ArrayList<>(tensors.size());
        for (RawTensor t : tensors) {
            out.add(new RawTensor(t.name(), t.dtype(), t.shape(), t.begin(), t.end(), offsets.get(t.headerOffset())));
        }
        Map<String, Long> metadataOffsets = new LinkedHashMap<>();
        metadataChars.forEach((k, c) -> metadataOffsets.put(k, offsets.get(c)));
        return new Header(metadata, metadataOffsets, out);
    }

    private Map<String, String> readMetadata() throws IOException {
        if (reader.peek() == JsonToken.NULL) {
            reader.nextNull();
            return Collections.emptyMap();
        }
        expect(JsonToken.BEGIN_OBJECT, "\"__metadata__\" to be an object of string keys to string values");
        reader.beginObject();
        Map<String, String> out = new LinkedHashMap<>();
        while (reader.hasNext()) {
            long at = here() - 1;
            String key = reader.nextName();
            metadataChars.putIfAbsent(key, at);
            if (out.containsKey(key)) {
                throw error(at, "\"__metadata__\" has the key \"" + key + "\" twice; keys must be unique");
            }
            if (reader.peek() != JsonToken.STRING) {
                throw error(
                        here(),
                        "\"__metadata__\" value of \"" + key + "\" is " + describe(reader.peek())
                                + "; metadata values must be strings (write numbers and lists as text)");
            }
            out.put(key, reader.nextString());
        }
        reader.endObject();
        return out;
    }

    private RawTensor readTensor(String name, long nameOffset) throws IOException {
        expect(JsonToken.BEGIN_OBJECT, "the entry to be an object with \"dtype\", \"shape\" and \"data_offsets\"");
        reader.beginObject();
        String dtype = null;
        long[] shape = null;
        long[] offsets = null;
        Set<String> keys = new HashSet<>();
        while (reader.hasNext()) {
            long at = here() - 1;
            String key = reader.nextName();
            if (!keys.add(key)) {
                throw error(at, "the entry gives \"" + key + "\" twice");
            }
            switch (key) {
                case "dtype" -> {
                    expect(JsonToken.STRING, "\"dtype\" to be a string such as \"F32\"");
                    dtype = reader.nextString();
                }
                case "shape" -> shape = readWholeNumbers("shape", "dimension");
                case "data_offsets" -> {
                    long arrayAt = here();
                    offsets = readWholeNumbers("data_offsets", "offset");
                    if (offsets.length != 2) {
                        throw error(
                                arrayAt,
                                "\"data_offsets\" has " + offsets.length + " numbers; it must be [begin, end]");
                    }
                }
                // The format allows other keys; they carry nothing quant4j reads.
                default -> reader.skipValue();
            }
        }
        reader.endObject();
        if (dtype == null || shape == null || offsets == null) {
            String missing = dtype == null ? "dtype" : shape == null ? "shape" : "data_offsets";
            throw error(
                    nameOffset,
                    "the entry lacks \"" + missing
                            + "\"; every tensor needs \"dtype\", \"shape\" and \"data_offsets\"");
        }
        return new RawTensor(name, dtype, shape, offsets[0], offsets[1], nameOffset);
    }

    private long[] readWholeNumbers(String key, String what) throws IOException {
        expect(JsonToken.BEGIN_ARRAY, "\"" + key + "\" to be an array of whole numbers");
        reader.beginArray();
        long[] values = new long[4];
        int n = 0;
        while (reader.hasNext()) {
            long at = here();
            if (reader.peek() != JsonToken.NUMBER) {
                throw error(
                        at,
                        "\"" + key + "\" " + what + " " + n + " is " + describe(reader.peek())
                                + "; it must be a whole number");
            }
            String literal = reader.nextString();
            if (literal.startsWith("-")) {
                throw error(
                        at,
                        "\"" + key + "\" " + what + " " + n + " is negative (" + literal + "); it must be 0 or more");
            }
            if (!literal.matches("0|[1-9][0-9]*")) {
                throw error(at, "\"" + key + "\" " + what + " " + n + " is " + literal + ", not a whole number");
            }
            if (literal.length() > 19 || (literal.length() == 19 && literal.compareTo("9223372036854775807") > 0)) {
                throw error(
                        at,
                        "\"" + key + "\" " + what + " " + n + " is " + literal
                                + ", larger than any file or tensor can be");
            }
            if (n == MAX_RANK) {
                throw error(at, "\"" + key + "\" has more than " + MAX_RANK + " numbers");
            }
            if (n == values.length) {
                values = Arrays.copyOf(values, n * 2);
            }
            values[n++] = Long.parseLong(literal);
        }
        reader.endArray();
        return Arrays.copyOf(values, n);
    }

    private void expect(JsonToken token, String what) throws IOException {
        JsonToken t = reader.peek();
        if (t != token) {
            throw error(here(), "expected " + what + " but found " + describe(t));
        }
    }

    private static String describe(JsonToken t) {
        return switch (t) {
            case BEGIN_ARRAY -> "an array";
            case BEGIN_OBJECT -> "an object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            case END_DOCUMENT -> "the end of the header";
            default -> t.toString();
        };
    }

    /** Where the JSON reader is, in chars of the header text; turned into a file offset only for an error. */
    private long here() {
        return reader == null ? 0 : Math.min(reader.getCharacterOffset(), text.length());
    }

    /** The file offset of a char position (the header may hold non-ASCII text, so chars are not bytes). */
    private long fileOffset(long chars) {
        return fileOffset(0, chars);
    }

    /** {@code base} plus the UTF-8 bytes of the chars in {@code [from, to)}. */
    private long fileOffset(long from, long to) {
        long bytes = 0;
        long chars = to;
        for (int i = (int) from; i < chars; i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < chars) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return base + bytes;
    }

    private SafetensorsFormatException error(long charOffset, String reason) {
        return new SafetensorsFormatException(file, currentTensor, fileOffset(charOffset), "header: " + reason);
    }

    private SafetensorsFormatException error(long charOffset, String reason, Throwable cause) {
        return new SafetensorsFormatException(file, currentTensor, fileOffset(charOffset), "header: " + reason, cause);
    }
}

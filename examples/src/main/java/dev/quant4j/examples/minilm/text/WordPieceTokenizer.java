package dev.quant4j.examples.minilm.text;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.Reader;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * BERT's uncased WordPiece tokenizer, configured from a HuggingFace {@code tokenizer.json}, giving the
 * same ids as the HuggingFace {@code tokenizers} library (which LangChain4j runs through DJL).
 *
 * <p>The pipeline, in the library's order:
 * <ol>
 *   <li><b>Special tokens</b> written literally in the text ({@code [CLS]}, {@code [MASK]}, ...) are
 *       cut out first, before any normalisation, and keep their ids.</li>
 *   <li><b>BertNormalizer</b>: drop NUL, U+FFFD and control/format/unassigned/private-use characters,
 *       turn every whitespace character into a space; put spaces around CJK ideographs so each becomes
 *       a word; strip accents (NFD, then drop non-spacing marks); lowercase.</li>
 *   <li><b>BertPreTokenizer</b>: split on whitespace (dropped) and on punctuation (kept, one character
 *       per word). Punctuation is BERT's: every ASCII symbol that is not a letter, digit or space, plus
 *       the Unicode punctuation categories P*.</li>
 *   <li><b>WordPiece</b>: greedy longest match from the left; pieces after the first carry {@code ##}.
 *       A word longer than {@code max_input_chars_per_word}, or one that cannot be split into known
 *       pieces, becomes a single {@code [UNK]}.</li>
 *   <li><b>Truncation and template</b>: at most {@code max_length - 2} pieces, framed by
 *       {@code [CLS] ... [SEP]}.</li>
 * </ol>
 *
 * <p>Character classes follow the Rust library (Unicode {@code White_Space} property, not
 * {@link Character#isWhitespace}, which excludes no-break spaces), but use the JDK's Unicode tables,
 * which may be newer than the library's: a character assigned in a recent Unicode version can be
 * "unassigned" (and so dropped) there but kept here.
 */
public final class WordPieceTokenizer {

    private final Map<String, Integer> vocab;
    private final String[] idToToken;
    private final String unkToken;
    private final int unkId;
    private final String continuingPrefix;
    private final int maxInputCharsPerWord;
    private final int clsId;
    private final int sepId;
    /** Total length including [CLS] and [SEP]; Integer.MAX_VALUE when the json has no truncation. */
    private final int maxLength;

    private final boolean cleanText;
    private final boolean handleChineseChars;
    private final boolean stripAccents;
    private final boolean lowercase;
    /** Special tokens matched verbatim in the raw text, longest first so that the longest match wins. */
    private final String[] specialTokens;

    private WordPieceTokenizer(JsonObject json) {
        JsonObject model = object(json, "model");
        require("WordPiece".equals(string(model, "type")), "model.type must be WordPiece, is " + model.get("type"));
        JsonObject vocabJson = object(model, "vocab");
        vocab = new HashMap<>(vocabJson.size() * 2);
        for (Map.Entry<String, JsonElement> e : vocabJson.entrySet()) {
            vocab.put(e.getKey(), e.getValue().getAsInt());
        }
        idToToken = new String[vocab.size()];
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            int id = e.getValue();
            require(
                    id >= 0 && id < idToToken.length && idToToken[id] == null,
                    "vocab ids must be 0.." + (idToToken.length - 1) + " without gaps; bad id " + id);
            idToToken[id] = e.getKey();
        }
        unkToken = string(model, "unk_token");
        unkId = idOf(unkToken);
        continuingPrefix = string(model, "continuing_subword_prefix");
        maxInputCharsPerWord = model.get("max_input_chars_per_word").getAsInt();

        JsonObject normalizer = object(json, "normalizer");
        require(
                "BertNormalizer".equals(string(normalizer, "type")),
                "normalizer.type must be BertNormalizer, is " + normalizer.get("type"));
        cleanText = normalizer.get("clean_text").getAsBoolean();
        handleChineseChars = normalizer.get("handle_chinese_chars").getAsBoolean();
        lowercase = normalizer.get("lowercase").getAsBoolean();
        JsonElement strip = normalizer.get("strip_accents");
        // The library's rule: strip_accents = null means "strip when lowercasing".
        stripAccents = strip == null || strip.isJsonNull() ? lowercase : strip.getAsBoolean();

        JsonObject preTokenizer = object(json, "pre_tokenizer");
        require(
                "BertPreTokenizer".equals(string(preTokenizer, "type")),
                "pre_tokenizer.type must be BertPreTokenizer, is " + preTokenizer.get("type"));

        // The post_processor's single-sequence template is [CLS] $A [SEP] for BERT; the ids come from the vocab.
        clsId = idOf("[CLS]");
        sepId = idOf("[SEP]");

        JsonElement truncation = json.get("truncation");
        maxLength = truncation == null || truncation.isJsonNull()
                ? Integer.MAX_VALUE
                : truncation.getAsJsonObject().get("max_length").getAsInt();
        require(maxLength > 2, "truncation.max_length must leave room for [CLS] and [SEP], is " + maxLength);

        List<String> specials = new ArrayList<>();
        for (JsonElement e : json.getAsJsonArray("added_tokens")) {
            JsonObject t = e.getAsJsonObject();
            String content = string(t, "content");
            // Only the plain form is implemented: matched verbatim in the raw text, no stripping around it.
            require(
                    !t.get("normalized").getAsBoolean()
                            && !t.get("single_word").getAsBoolean()
                            && !t.get("lstrip").getAsBoolean()
                            && !t.get("rstrip").getAsBoolean(),
                    "added token " + content + " uses options this tokenizer does not implement: " + t);
            require(
                    vocab.get(content) != null
                            && vocab.get(content) == t.get("id").getAsInt(),
                    "added token " + content + " has id " + t.get("id") + " but the vocab says " + vocab.get(content));
            specials.add(content);
        }
        specials.sort((a, b) -> Integer.compare(b.length(), a.length()));
        specialTokens = specials.toArray(String[]::new);
    }

    /** Reads a HuggingFace tokenizer.json; throws IllegalArgumentException if it is not a BERT WordPiece one. */
    public static WordPieceTokenizer fromJson(Reader json) {
        return new WordPieceTokenizer(JsonParser.parseReader(json).getAsJsonObject());
    }

    /** Token ids for the model: [CLS], at most maxLength - 2 word pieces, [SEP]. */
    public int[] encode(String text) {
        List<Integer> pieces = new ArrayList<>();
        for (String segment : splitOnSpecialTokens(text)) {
            Integer special = specialId(segment);
            if (special != null) {
                pieces.add(special);
                continue;
            }
            for (String word : preTokenize(normalize(segment))) {
                wordPiece(word, pieces);
            }
        }
        int kept = Math.min(pieces.size(), maxLength - 2); // truncation drops pieces from the right
        int[] ids = new int[kept + 2];
        ids[0] = clsId;
        for (int i = 0; i < kept; i++) {
            ids[i + 1] = pieces.get(i);
        }
        ids[kept + 1] = sepId;
        return ids;
    }

    /** The token strings for ids, e.g. for printing. */
    public List<String> tokens(int[] ids) {
        List<String> out = new ArrayList<>(ids.length);
        for (int id : ids) {
            out.add(idToToken[id]);
        }
        return out;
    }

    /** The added tokens of tokenizer.json ([PAD], [UNK], [CLS], [SEP], [MASK] for MiniLM): matched verbatim. */
    public List<String> specialTokens() {
        return List.of(specialTokens);
    }

    public int vocabSize() {
        return idToToken.length;
    }

    public int maxLength() {
        return maxLength;
    }

    // ---------------------------------------------------------------------------------------------
    // 1. Special tokens written in the text

    /** Cuts the raw text at verbatim special tokens; segments that are special tokens are their own entries. */
    List<String> splitOnSpecialTokens(String text) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            for (String special : specialTokens) {
                if (text.startsWith(special, i)) {
                    if (i > start) {
                        out.add(text.substring(start, i));
                    }
                    out.add(special);
                    start = i + special.length();
                    i = start - 1;
                    break;
                }
            }
        }
        if (start < text.length()) {
            out.add(text.substring(start));
        }
        return out;
    }

    private Integer specialId(String segment) {
        for (String special : specialTokens) {
            if (special.equals(segment)) {
                return vocab.get(special);
            }
        }
        return null;
    }

    // ---------------------------------------------------------------------------------------------
    // 2. BertNormalizer

    String normalize(String text) {
        String s = text;
        if (cleanText) {
            StringBuilder b = new StringBuilder(s.length());
            s.codePoints().forEach(c -> {
                if (c == 0 || c == 0xFFFD || isControl(c)) {
                    return;
                }
                b.appendCodePoint(isWhitespace(c) ? ' ' : c);
            });
            s = b.toString();
        }
        if (handleChineseChars) {
            StringBuilder b = new StringBuilder(s.length());
            s.codePoints().forEach(c -> {
                if (isChineseChar(c)) {
                    b.append(' ').appendCodePoint(c).append(' ');
                } else {
                    b.appendCodePoint(c);
                }
            });
            s = b.toString();
        }
        if (stripAccents) {
            StringBuilder b = new StringBuilder(s.length());
            Normalizer.normalize(s, Normalizer.Form.NFD)
                    .codePoints()
                    .filter(c -> Character.getType(c) != Character.NON_SPACING_MARK)
                    .forEach(b::appendCodePoint);
            s = b.toString();
        }
        if (lowercase) {
            // Per code point, as the Rust library does: String.toLowerCase would apply context rules
            // (Greek final sigma) that the library does not.
            StringBuilder b = new StringBuilder(s.length());
            s.codePoints().forEach(c -> {
                if (c == 0x130) { // İ: the one code point whose full lowercase is two (i + combining dot)
                    b.append("i\u0307");
                } else {
                    b.appendCodePoint(Character.toLowerCase(c));
                }
            });
            s = b.toString();
        }
        return s;
    }

    /** Unicode White_Space, as Rust's char::is_whitespace; \t \n \r count although they are controls. */
    static boolean isWhitespace(int c) {
        return c == ' '
                || (c >= 0x09 && c <= 0x0D)
                || c == 0x85
                || c == 0xA0
                || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A)
                || c == 0x2028
                || c == 0x2029
                || c == 0x202F
                || c == 0x205F
                || c == 0x3000;
    }

    /** Categories Cc, Cf, Cn, Co, Cs, except \t \n \r, which are treated as whitespace. */
    static boolean isControl(int c) {
        if (c == '\t' || c == '\n' || c == '\r') {
            return false;
        }
        return hasType(c, OTHER_TYPES);
    }

    /** {@link Character#getType} values of the general category C: Cc, Cf, Cn, Co, Cs. */
    private static final int OTHER_TYPES = typeMask(
            Character.CONTROL, Character.FORMAT, Character.UNASSIGNED, Character.PRIVATE_USE, Character.SURROGATE);

    /** {@link Character#getType} values of the general category P: Pc, Pd, Ps, Pe, Pi, Pf, Po. */
    private static final int PUNCTUATION_TYPES = typeMask(
            Character.CONNECTOR_PUNCTUATION,
            Character.DASH_PUNCTUATION,
            Character.START_PUNCTUATION,
            Character.END_PUNCTUATION,
            Character.INITIAL_QUOTE_PUNCTUATION,
            Character.FINAL_QUOTE_PUNCTUATION,
            Character.OTHER_PUNCTUATION);

    /** One bit a type; the types are below 32. */
    private static int typeMask(byte... types) {
        int mask = 0;
        for (byte t : types) {
            mask |= 1 << t;
        }
        return mask;
    }

    private static boolean hasType(int c, int typeMask) {
        return (typeMask >>> Character.getType(c) & 1) != 0;
    }

    /** The CJK ideograph blocks BERT treats as one-character words (not Hiragana, Katakana or Hangul). */
    static boolean isChineseChar(int c) {
        return (c >= 0x4E00 && c <= 0x9FFF)
                || (c >= 0x3400 && c <= 0x4DBF)
                || (c >= 0x20000 && c <= 0x2A6DF)
                || (c >= 0x2A700 && c <= 0x2B73F)
                || (c >= 0x2B740 && c <= 0x2B81F)
                || (c >= 0x2B920 && c <= 0x2CEAF)
                || (c >= 0xF900 && c <= 0xFAFF)
                || (c >= 0x2F800 && c <= 0x2FA1F);
    }

    // ---------------------------------------------------------------------------------------------
    // 3. BertPreTokenizer

    List<String> preTokenize(String normalized) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        for (int i = 0; i < normalized.length(); ) {
            int c = normalized.codePointAt(i);
            i += Character.charCount(c);
            if (isWhitespace(c) || isPunctuation(c)) {
                if (!word.isEmpty()) {
                    words.add(word.toString());
                    word.setLength(0);
                }
                if (!isWhitespace(c)) {
                    words.add(Character.toString(c));
                }
            } else {
                word.appendCodePoint(c);
            }
        }
        if (!word.isEmpty()) {
            words.add(word.toString());
        }
        return words;
    }

    /** BERT punctuation: all ASCII non-alphanumeric symbols (so $ + < = > ^ ` | ~ too) and Unicode P*. */
    static boolean isPunctuation(int c) {
        if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) {
            return true;
        }
        return hasType(c, PUNCTUATION_TYPES);
    }

    // ---------------------------------------------------------------------------------------------
    // 4. WordPiece

    /** Appends the pieces of one pre-tokenized word to {@code out}: greedy longest-match-first. */
    void wordPiece(String word, List<Integer> out) {
        if (word.codePointCount(0, word.length()) > maxInputCharsPerWord) {
            out.add(unkId);
            return;
        }
        int mark = out.size();
        int start = 0;
        while (start < word.length()) {
            int end = word.length();
            Integer id = null;
            while (end > start) {
                String piece = start == 0 ? word.substring(0, end) : continuingPrefix + word.substring(start, end);
                id = vocab.get(piece);
                if (id != null) {
                    break;
                }
                end = word.offsetByCodePoints(end, -1); // shorten by one code point, never half a surrogate pair
            }
            if (id == null) {
                // Some suffix cannot be spelled with the vocab: the whole word is unknown, not just that part.
                out.subList(mark, out.size()).clear();
                out.add(unkId);
                return;
            }
            out.add(id);
            start = end;
        }
    }

    // ---------------------------------------------------------------------------------------------

    private int idOf(String token) {
        Integer id = vocab.get(token);
        require(id != null, "the vocab has no " + token);
        return id;
    }

    private static JsonObject object(JsonObject parent, String key) {
        JsonElement e = parent.get(key);
        require(e != null && e.isJsonObject(), "tokenizer json: '" + key + "' is missing or not an object");
        return e.getAsJsonObject();
    }

    private static String string(JsonObject parent, String key) {
        JsonElement e = parent.get(key);
        require(e != null && e.isJsonPrimitive(), "tokenizer json: '" + key + "' is missing or not a string");
        return e.getAsString();
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    @Override
    public String toString() {
        return "WordPieceTokenizer[vocab=" + idToToken.length + ", maxLength=" + maxLength
                + ", lowercase=" + lowercase + ", stripAccents=" + stripAccents + ", specials="
                + Arrays.toString(specialTokens) + "]";
    }
}

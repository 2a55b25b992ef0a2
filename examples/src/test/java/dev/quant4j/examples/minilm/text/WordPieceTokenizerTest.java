package dev.quant4j.examples.minilm.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.quant4j.examples.minilm.demo.Sentences;
import dev.quant4j.examples.minilm.onnx.MiniLmLoader;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Our tokenizer against the reference: DJL's binding of the HuggingFace Rust tokenizer, built from the
 * same json and with the same options as LangChain4j's OnnxBertBiEncoder builds it.
 */
class WordPieceTokenizerTest {

    private static WordPieceTokenizer ours;
    private static HuggingFaceTokenizer reference;

    @BeforeAll
    static void load() throws IOException {
        ours = MiniLmLoader.tokenizerFromClasspath();
        try (InputStream json =
                WordPieceTokenizerTest.class.getClassLoader().getResourceAsStream(MiniLmLoader.TOKENIZER_RESOURCE)) {
            reference = HuggingFaceTokenizer.newInstance(json, Map.of("padding", "false"));
        }
    }

    @AfterAll
    static void close() {
        reference.close();
    }

    private static int[] referenceIds(String text) {
        return Arrays.stream(reference.encode(text).getIds())
                .mapToInt(Math::toIntExact)
                .toArray();
    }

    private static void assertSameIds(String text) {
        int[] expected = referenceIds(text);
        int[] actual = ours.encode(text);
        assertArrayEquals(
                expected,
                actual,
                () -> "text <" + text + ">\n  reference " + ours.tokens(expected) + "\n  ours      "
                        + ours.tokens(actual));
    }

    @Test
    void knownIdsWithoutTheReference() {
        // From a run of the reference, written down so that this test does not depend on it.
        assertArrayEquals(
                new int[] {101, 1996, 4937, 7719, 2006, 1996, 13523, 1012, 102},
                ours.encode("The cat sits on the mat."));
        assertEquals(List.of("[CLS]", "hello", "world", "[SEP]"), ours.tokens(ours.encode("Héllo wörld")));
    }

    @Test
    void rejectsTokenizersItDoesNotImplement() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> WordPieceTokenizer.fromJson(new StringReader("{\"model\": {\"type\": \"BPE\"}}")));
        assertTrue(e.getMessage().contains("model.type must be WordPiece"), e.getMessage());
    }

    @Test
    void sameIdsAsReferenceOnEverySentence() throws IOException {
        List<String> sentences = Sentences.load();
        List<String> mismatches = new ArrayList<>();
        int pieces = 0;
        for (String s : sentences) {
            int[] expected = referenceIds(s);
            int[] actual = ours.encode(s);
            pieces += actual.length;
            if (!Arrays.equals(expected, actual)) {
                mismatches.add(s + "\n  reference " + ours.tokens(expected) + "\n  ours      " + ours.tokens(actual));
            }
        }
        System.out.printf(
                "tokenizer agreement: %d/%d sentences (%d tokens)%n",
                sentences.size() - mismatches.size(), sentences.size(), pieces);
        assertTrue(mismatches.isEmpty(), mismatches.size() + " sentences differ:\n" + String.join("\n", mismatches));
    }

    @Test
    void accentsAndCase() {
        for (String s : List.of(
                "Héllo wörld",
                "Ça va? Señor Muñoz, naïve café, Ærøskøbing, Straße, Łódź, Dvořák",
                "e\u0301 composed vs decomposed é",
                "ΟΔΥΣΣΕΥΣ and Ὀδυσσεύς",
                "İstanbul IŞIK ıi",
                "ﬁne ﬂour ﬀ (ligatures stay whole)",
                "Ⅻ o'clock, ½ cup, ² squared, ℃",
                "ÀÉÎÕÜ àéîõü ÿ Ÿ")) {
            assertSameIds(s);
        }
    }

    @Test
    void cjkAndOtherScripts() {
        for (String s : List.of(
                "我爱北京天安门",
                "mixed 中文 and English 文字",
                "東京タワーは高いです。",
                "안녕하세요 세계",
                "مرحبا بالعالم",
                "שלום עולם",
                "नमस्ते दुनिया",
                "สวัสดีชาวโลก",
                "Привет, мир!",
                "𠀋𠀍 rare CJK extension B",
                "compatibility ideograph \uF900\uFA0E")) {
            assertSameIds(s);
        }
    }

    @Test
    void punctuationAndSymbols() {
        for (String s : List.of(
                "Hello,world!!! (test) [brackets] {braces} <tag> a+b=c ^_^ `code` ~tilde |pipe|",
                "$5, #hash, @at, & 100% * / \\ \" '",
                "“quoted” — dash – ‘single’ …ellipsis ¿qué? ¡sí! «guillemets»",
                "e-mail: someone@example.com, url: https://example.com/a?b=c&d=e#f",
                "3.14159 1,000,000 2024-06-01 10:30",
                "© ® ™ § ¶ † ‡ • ° ± × ÷ € £ ¥ ₹",
                "I love pizza 🍕😀 🥰 🫠 👍🏽",
                "##hash ## ###",
                "C++ and C# and F#")) {
            assertSameIds(s);
        }
    }

    @Test
    void whitespaceControlAndEmpty() {
        for (String s : List.of(
                "",
                " ",
                "   \t\n ",
                "...",
                "!",
                "  tabs\tand\nnewlines\r\n  ",
                "no\u00A0break\u2009thin\u3000ideographic\u202Fnarrow",
                "zero\u200Bwidth\uFEFFbom soft\u00ADhyphen",
                "bell\u0007 nul\u0000 replacement\uFFFD private\uE000 vt\u000B ff\u000C nel\u0085 us\u001F",
                "line\u2028separator paragraph\u2029separator",
                "a")) {
            assertSameIds(s);
        }
    }

    @Test
    void specialTokensWrittenInText() {
        for (String s : List.of(
                "Hello [MASK] world",
                "[CLS] [SEP]",
                "[UNK]x[PAD]y",
                "[mask] is not special in lowercase",
                "[MASK[MASK]]",
                "[CLS",
                "text [SEP] more text")) {
            assertSameIds(s);
        }
    }

    @Test
    void unknownAndOverlongWords() {
        String a100 = "a".repeat(100);
        String a101 = "a".repeat(101);
        for (String s : List.of(
                a100,
                a101,
                "x" + a101 + " y",
                "é".repeat(101),
                "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝓯𝓪𝓷𝓬𝔂",
                "pneumonoultramicroscopicsilicovolcanoconiosis",
                "snow☃man",
                "☃☃☃")) {
            assertSameIds(s);
        }
        int[] ids = ours.encode(a101);
        assertEquals(List.of("[CLS]", "[UNK]", "[SEP]"), ours.tokens(ids));
    }

    @Test
    void truncatesTo128Tokens() {
        String longText = "The quick brown fox jumps over the lazy dog, unbelievably. ".repeat(40);
        int[] ids = ours.encode(longText);
        assertEquals(128, ids.length);
        assertEquals(101, ids[0]);
        assertEquals(102, ids[127]);
        assertSameIds(longText);
        // A cut that falls inside a word split into several pieces.
        for (int words = 120; words < 130; words++) {
            assertSameIds("antidisestablishmentarianism ".repeat(words));
        }
        assertSameIds("word ".repeat(126));
        assertSameIds("word ".repeat(127));
    }
}

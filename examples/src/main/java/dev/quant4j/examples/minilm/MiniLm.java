package dev.quant4j.examples.minilm;

import dev.quant4j.examples.minilm.text.WordPieceTokenizer;

/** Text in, 384-dimensional unit vector out: the tokenizer and an encoder together. */
public record MiniLm(WordPieceTokenizer tokenizer, SentenceEncoder model) {

    /**
     * The embedding of {@code text}, truncated to the tokenizer's 128 tokens. Blank text is rejected,
     * as LangChain4j rejects it: it would embed only [CLS] [SEP].
     */
    public float[] embed(String text) {
        if (text.isBlank()) {
            throw new IllegalArgumentException("cannot embed empty or whitespace-only text");
        }
        return model.embed(tokenizer.encode(text));
    }
}

package dev.quant4j.examples.minilm;

/** Token ids in, a unit-length sentence vector out: what both model variants offer. */
public interface SentenceEncoder {

    /** The sentence embedding of one tokenized text ([CLS] ... [SEP]), of unit length. */
    float[] embed(int[] tokenIds);

    /** Length of the vectors. */
    int dimension();

    /** Most tokens one text may have. */
    int maxTokens();
}

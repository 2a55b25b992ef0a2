package dev.quant4j.examples.minilm;

/** The three lookup tables of BERT's input embeddings. */
enum EmbeddingTable {
    WORD,
    POSITION,
    TOKEN_TYPE
}

package dev.quant4j.examples.minilm;

/** The six weight matrices of one encoder layer, by role. */
enum Projection {
    QUERY,
    KEY,
    VALUE,
    ATTENTION_OUTPUT,
    INTERMEDIATE,
    OUTPUT
}

/** Text to token ids: the BERT WordPiece tokenizer, read from the HuggingFace tokenizer JSON. */
package dev.quant4j.examples.minilm.text;

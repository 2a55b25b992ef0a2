package dev.quant4j.model;

/** A nested module of {@link TinyModel}. */
class TinyBlock {
    QuantizableTensor wq; // @Quantize(value = Q8F)
}

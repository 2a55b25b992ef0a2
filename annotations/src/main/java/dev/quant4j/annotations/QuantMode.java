package dev.quant4j.annotations;

/** Quantization mode. Only symmetric (no zero point) exists, as in Burn. */
public enum QuantMode {
    /** Scale only, no zero point. */
    SYMMETRIC
}

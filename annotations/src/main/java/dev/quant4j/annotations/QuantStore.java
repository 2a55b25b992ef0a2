package dev.quant4j.annotations;

/** How codes are stored. */
public enum QuantStore {
    /** One byte per code; only for 8-bit values. */
    NATIVE,
    /** Codes packed into 32-bit words, element 0 in the least significant bits. */
    U32
}

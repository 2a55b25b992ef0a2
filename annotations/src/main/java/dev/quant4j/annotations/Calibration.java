package dev.quant4j.annotations;

/** How the range of a tensor or block is found. */
public enum Calibration {
    /** The range is the minimum and maximum of the values. */
    MIN_MAX
}

package dev.quant4j.processor.e2e;

import dev.quant4j.annotations.QuantizationConfig;

/** The named schemes of the test transformer, declared once. */
@QuantizationConfig
final class Schemes {
    static final String ATTENTION = "q4f:block32:f16:u32";
    static final String EMBEDDING = "q8s:block32:f16";

    private Schemes() {}
}

/** A quantization scheme, its text form, and the one validation routine the processor and runtime share. */
module dev.quant4j.scheme {
    requires transitive dev.quant4j.annotations;

    exports dev.quant4j.scheme;
}

/** The annotations a model class carries and the vocabulary enums they take. */
module dev.quant4j.annotations {
    exports dev.quant4j.annotations;
}

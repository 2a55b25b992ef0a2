package dev.quant4j.model;

/** A test model's visitor: the class it walks is given once, to the constructor; subclasses write the walk. */
abstract class TestVisitor<M> implements ModelVisitor<M> {
    private final Class<M> modelType;

    TestVisitor(Class<M> modelType) {
        this.modelType = modelType;
    }

    @Override
    public final Class<M> modelType() {
        return modelType;
    }
}

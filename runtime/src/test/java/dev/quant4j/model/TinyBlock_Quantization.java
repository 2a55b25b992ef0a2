package dev.quant4j.model;

import dev.quant4j.scheme.QuantScheme;

/** Hand-written in the shape the processor generates. */
final class TinyBlock_Quantization implements ModelVisitor<TinyBlock> {
    static {
        ModelVisitors.register(TinyBlock.class, new TinyBlock_Quantization());
    }

    private static final QuantScheme WQ = QuantScheme.parse("q8f:tensor:f32:u32");

    @Override
    public Class<TinyBlock> modelType() {
        return TinyBlock.class;
    }

    @Override
    public void visit(TinyBlock model, String path, WeightVisitor visitor) {
        visitor.weight(WeightField.tensor(ModelPaths.child(path, "wq"), WQ, () -> model.wq, value -> model.wq = value));
    }
}

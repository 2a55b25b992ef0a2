package dev.quant4j.model;

import dev.quant4j.scheme.QuantScheme;

/** Hand-written where the processor's visitor would stand (found by its name, registered on class initialization). */
final class TinyBlock_Quantization extends TestVisitor<TinyBlock> {
    static {
        ModelVisitors.register(TinyBlock.class, new TinyBlock_Quantization());
    }

    private static final QuantScheme WQ = QuantScheme.parse("q8f:tensor:f32:u32");

    TinyBlock_Quantization() {
        super(TinyBlock.class);
    }

    @Override
    public void visit(TinyBlock model, String path, WeightVisitor visitor) {
        visitor.weight(WeightField.tensor(ModelPaths.child(path, "wq"), WQ, () -> model.wq, value -> model.wq = value));
    }
}

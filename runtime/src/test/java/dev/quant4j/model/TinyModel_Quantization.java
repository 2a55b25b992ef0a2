package dev.quant4j.model;

import dev.quant4j.scheme.QuantScheme;

/** Hand-written where the processor's visitor would stand (found by its name, registered on class initialization). */
final class TinyModel_Quantization extends TestVisitor<TinyModel> {
    static {
        ModelVisitors.register(TinyModel.class, new TinyModel_Quantization());
    }

    private static final QuantScheme W = QuantScheme.parse("q4f:block8:f32:u32");
    private static final QuantScheme M = QuantScheme.parse("q8s:tensor:f32:u32");
    private static final QuantScheme H = QuantScheme.parse("q8s:tensor:f16:u32");

    private TinyModel_Quantization() {
        super(TinyModel.class);
    }

    @Override
    public void visit(TinyModel model, String path, WeightVisitor visitor) {
        visitor.weight(WeightField.floatArray(
                ModelPaths.child(path, "w"),
                W,
                model,
                "dev.quant4j.model.TinyModel#w",
                new int[] {model.rows, model.cols},
                () -> model.w,
                value -> model.w = value));
        visitor.weight(WeightField.floatRows(
                ModelPaths.child(path, "m"),
                M,
                model,
                "dev.quant4j.model.TinyModel#m",
                () -> model.m,
                value -> model.m = value));
        visitor.weight(WeightField.tensor(ModelPaths.child(path, "h"), H, () -> model.h, value -> model.h = value));
        visitor.weight(WeightField.floatArray(
                ModelPaths.child(path, "bias"),
                null,
                model,
                "dev.quant4j.model.TinyModel#bias",
                null,
                () -> model.bias,
                value -> model.bias = value));
        visitor.modules(path, "blocks", model.blocks);
        visitor.modules(path, "extra", model.extra);
    }
}

package dev.quant4j.it.model;

import dev.quant4j.model.ModelPaths;
import dev.quant4j.model.ModelVisitor;
import dev.quant4j.model.ModelVisitors;
import dev.quant4j.model.WeightField;
import dev.quant4j.model.WeightVisitor;
import dev.quant4j.scheme.QuantScheme;

/**
 * Written by hand in the shape the annotation processor generates (agent-it does not run the processor): the
 * getter and setter lambdas access the field directly, so the agent rewrites them as it rewrites generated code.
 */
final class LiveModel_Quantization implements ModelVisitor<LiveModel> {
    private static final QuantScheme WEIGHTS = QuantScheme.parse("q8s:tensor:f32:u32");

    static {
        ModelVisitors.register(LiveModel.class, new LiveModel_Quantization());
    }

    private LiveModel_Quantization() {}

    @Override
    public Class<LiveModel> modelType() {
        return LiveModel.class;
    }

    @Override
    public void visit(LiveModel model, String path, WeightVisitor visitor) {
        visitor.weight(WeightField.floatArray(
                ModelPaths.child(path, "weights"),
                WEIGHTS,
                model,
                LiveModel.WEIGHTS_KEY,
                null,
                () -> model.weights,
                value -> model.weights = value));
    }
}

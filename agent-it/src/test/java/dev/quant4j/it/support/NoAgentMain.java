package dev.quant4j.it.support;

import dev.quant4j.errors.AgentNotActiveException;
import dev.quant4j.fields.QuantizedFields;
import dev.quant4j.it.model.TinyModel;
import dev.quant4j.it.model.TinyModelQuantizer;

/** Quantizes a plain-array model without the agent: must fail with the explanation, and lose no weights. */
public final class NoAgentMain {
    private NoAgentMain() {}

    public static void main(String[] args) {
        System.out.println("status=" + QuantizedFields.status());
        TinyModel m = new TinyModel(16, 1, 1);
        try {
            TinyModelQuantizer.quantizeWeights(m);
            System.out.println("quantized without the agent");
        } catch (AgentNotActiveException e) {
            System.out.println("error=" + e.getMessage());
            System.out.println("weightsKept=" + (m.embedding != null));
            System.exit(3);
        }
    }
}

package dev.quant4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.plan.Plan;
import dev.quant4j.plan.Planner;
import dev.quant4j.plan.Sensitivity;
import dev.quant4j.scheme.QuantScheme;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The planner's --rule lines read back through this CLI's own rule parser, each matching its field alone. */
class PlanRulesTest {
    @Test
    void ruleLinesParseAndMatchExactlyTheirField() {
        List<String> paths = List.of(
                "embeddings.word", "layers[0].attention.query", "layers[10].ffn.out", "odd*name?{a,b}", "back\\slash");
        QuantScheme small = QuantScheme.parse("q4f:block32:f16:gptq");
        QuantScheme big = QuantScheme.parse("q8s:block32:f16");
        List<Sensitivity.Field> fields = new ArrayList<>();
        for (int i = 0; i < paths.size(); i++) {
            fields.add(new Sensitivity.Field(
                    paths.get(i),
                    1024,
                    List.of(
                            new Sensitivity.Option(small, 576, 0.01 * (i + 1)),
                            new Sensitivity.Option(big, 1088, 0.001))));
        }
        Sensitivity s = new Sensitivity(fields, 0, 5 * 1024, 0, 11);
        Plan plan = Planner.forBudget(s, 8.0 * (3 * 576 + 2 * 1088) / (5 * 1024));
        List<String> lines = plan.ruleLines();
        assertEquals(paths.size(), lines.size());
        Converters.RuleConverter parser = new Converters.RuleConverter();
        int big8 = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            assertTrue(line.startsWith("--rule '") && line.endsWith("'"), line);
            String arg = line.substring("--rule '".length(), line.length() - 1).replace("'\\''", "'");
            Converters.Rule rule = parser.convert(arg);
            assertEquals(plan.schemeOf(paths.get(i)), rule.scheme(), line);
            for (String p : paths) {
                assertEquals(p.equals(paths.get(i)), rule.glob().matches(p), line + " on " + p);
            }
            big8 += rule.scheme().equals(big) ? 1 : 0;
        }
        assertEquals(2, big8, "the budget holds two 8-bit fields: " + plan);
    }
}

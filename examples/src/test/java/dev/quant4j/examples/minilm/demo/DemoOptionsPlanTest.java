package dev.quant4j.examples.minilm.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The plan rows' and the agent mode's options. */
class DemoOptionsPlanTest {
    @Test
    void planRowsParseAndRunInHolderModeOnly() {
        DemoOptions o = DemoOptions.parse(new String[] {"--schemes", "q8s:block32,PLAN4.5,plan5,q8s:block32:a8dyn"});
        assertEquals(
                List.of("f32", "q8s:block32:f32:u32", "plan4.5", "plan5.0", "q8s:block32:f32:u32:a8dyn"), o.schemes());
        assertEquals(List.of("f32", "q8s:block32:f32:u32"), o.agentSchemes(), "given schemes: the agent runs them all");
        assertTrue(DemoOptions.isPlan("plan4.5"));
        assertEquals(4.5, DemoOptions.planBudget("plan4.5"));
        assertEquals("plan4.5", DemoReport.storedScheme("plan4.5"));
        assertEquals(
                DemoOptions.DEFAULT_AGENT_SCHEMES,
                DemoOptions.parse(new String[0]).agentSchemes());
        assertTrue(
                String.join(" ", o.childArguments()).contains("--schemes f32,q8s:block32:f32:u32"),
                o.childArguments().toString());
    }

    @Test
    void badPlansAndCandidatesAreRefusedNamingTheFix() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> DemoOptions.parse(new String[] {"--schemes", "planx"}));
        assertTrue(e.getMessage().contains("e.g. plan4.5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DemoOptions.parse(new String[] {"--schemes", "plan0"}));
        IllegalArgumentException c = assertThrows(
                IllegalArgumentException.class,
                () -> DemoOptions.parse(new String[] {"--plan-candidates", "q8s:block32:a8dyn"}));
        assertTrue(c.getMessage().contains("not a weight scheme"), c.getMessage());
        assertEquals(
                List.of("q4f:block32:f16:u32:gptq"),
                DemoOptions.parse(new String[] {"--plan-candidates", "q4f:block32:f16:gptq"})
                        .planCandidates());
    }
}

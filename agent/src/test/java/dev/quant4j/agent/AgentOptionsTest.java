package dev.quant4j.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class AgentOptionsTest {
    private static final long GIB = 1L << 30;

    private static Properties props(String... kv) {
        Properties p = new Properties();
        for (int i = 0; i < kv.length; i += 2) {
            p.setProperty(kv[i], kv[i + 1]);
        }
        return p;
    }

    @Test
    void defaultsAreABudgetOfAnEighthOfTheHeapCappedAt256m() {
        AgentOptions o = AgentOptions.parse(null, props(), 4 * GIB);
        assertEquals(AgentOptions.CachePolicy.BUDGET, o.cache());
        assertEquals(256L << 20, o.budgetBytes());
        assertFalse(o.check());
        assertEquals(AgentLog.Level.WARN, o.log());
        assertTrue(o.problems().isEmpty());
        assertEquals(64L << 20, AgentOptions.parse("", props(), 512L << 20).budgetBytes());
        assertEquals("cache=budget:256m (auto),check=false,log=warn", o.toString());
    }

    @Test
    void agentArgumentsSetEveryOption() {
        AgentOptions o = AgentOptions.parse(
                "cache=budget:64k, check=true,log=debug,exclude=com.a.,exclude=org.b.", props(), GIB);
        assertEquals(AgentOptions.CachePolicy.BUDGET, o.cache());
        assertEquals(64L << 10, o.budgetBytes());
        assertTrue(o.check());
        assertEquals(AgentLog.Level.DEBUG, o.log());
        assertEquals(List.of("com.a.", "org.b."), o.excludes());
        assertEquals(
                AgentOptions.CachePolicy.NONE,
                AgentOptions.parse("cache=none", props(), GIB).cache());
        assertEquals(
                AgentOptions.CachePolicy.SOFT,
                AgentOptions.parse("cache=SOFT", props(), GIB).cache());
        assertEquals(
                2 * GIB, AgentOptions.parse("cache=budget:2g", props(), GIB).budgetBytes());
        assertEquals(1000, AgentOptions.parse("cache=budget:1000", props(), GIB).budgetBytes());
    }

    @Test
    void systemPropertiesApplyWhereTheAgentArgumentIsSilent() {
        Properties p =
                props("quant4j.agent.cache", "soft", "quant4j.agent.check", "true", "quant4j.agent.exclude", "x.y.,z.");
        AgentOptions fromProps = AgentOptions.parse(null, p, GIB);
        assertEquals(AgentOptions.CachePolicy.SOFT, fromProps.cache());
        assertTrue(fromProps.check());
        assertEquals(List.of("x.y.", "z."), fromProps.excludes());
        AgentOptions argWins = AgentOptions.parse("cache=none", p, GIB);
        assertEquals(AgentOptions.CachePolicy.NONE, argWins.cache());
        assertTrue(argWins.check(), "check was not in the argument, so the property applies");
    }

    @Test
    void badValuesAreReportedAndTheDefaultIsUsed() {
        AgentOptions o = AgentOptions.parse("cache=budgt:1m,check=maybe,log=loud,colour=red,oops", props(), GIB);
        assertEquals(AgentOptions.CachePolicy.BUDGET, o.cache());
        assertFalse(o.check());
        assertEquals(AgentLog.Level.WARN, o.log());
        assertEquals(5, o.problems().size(), o.problems().toString());
        String all = String.join("\n", o.problems());
        for (String named : List.of("budgt:1m", "maybe", "loud", "colour", "oops")) {
            assertTrue(all.contains(named), "problem text should name '" + named + "': " + all);
        }
        AgentOptions badSize = AgentOptions.parse("cache=budget:12q", props(), GIB);
        assertTrue(
                badSize.problems().getFirst().contains("12q"),
                badSize.problems().toString());
    }

    @Test
    void sizesTakeBinaryUnits() {
        assertEquals(1L << 20, AgentOptions.parseSize("1m"));
        assertEquals(1L << 20, AgentOptions.parseSize("1MB"));
        assertEquals(3L << 30, AgentOptions.parseSize("3G"));
        assertEquals(5, AgentOptions.parseSize("5"));
        assertThrows(IllegalArgumentException.class, () -> AgentOptions.parseSize("-1m"));
        assertThrows(IllegalArgumentException.class, () -> AgentOptions.parseSize("m"));
        assertThrows(IllegalArgumentException.class, () -> AgentOptions.parseSize("99999999999g"));
        assertEquals("256m", AgentOptions.formatSize(256L << 20));
        assertEquals("1000", AgentOptions.formatSize(1000));
    }
}

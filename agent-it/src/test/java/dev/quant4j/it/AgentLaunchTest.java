package dev.quant4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.it.support.HelloMain;
import dev.quant4j.it.support.NoAgentMain;
import dev.quant4j.it.support.StatusMain;
import dev.quant4j.testkit.ChildJvm;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Start-up in fresh JVMs: without the agent, with bad options, without the runtime. None may stop the program. */
class AgentLaunchTest {
    private static final List<String> VECTOR = List.of("--add-modules", "jdk.incubator.vector");

    @Test
    void withoutTheAgentQuantizingAPlainFieldFailsClearlyAndKeepsTheWeights() throws Exception {
        ChildJvm.Result r = ChildJvm.run(VECTOR, NoAgentMain.class);
        assertEquals(3, r.exitCode(), r.describe());
        assertTrue(r.stdout().contains("status={agentActive=false}"), r.describe());
        assertTrue(
                r.stdout().contains("error=field 'model.embedding'")
                        && r.stdout().contains("-javaagent:"),
                r.describe());
        assertTrue(r.stdout().contains("weightsKept=true"), r.describe());
    }

    @Test
    void badOptionsAreReportedAndTheAgentRunsWithTheDefaults() throws Exception {
        ChildJvm.Result r = ChildJvm.run(
                List.of(
                        "--add-modules",
                        "jdk.incubator.vector",
                        "-javaagent:" + ChildJvm.agentJar() + "=cache=bogus,speed=max,log=info"),
                StatusMain.class);
        assertEquals(0, r.exitCode(), r.describe());
        assertTrue(
                r.stderr().contains("cache option 'bogus'") && r.stderr().contains("unknown agent option 'speed'"),
                r.describe());
        assertTrue(
                r.stderr().contains("[quant4j-agent] active with cache=budget:"),
                "log=info start-up line: " + r.describe());
        assertTrue(r.stdout().contains("agentActive=true") && r.stdout().contains("cache=budget:"), r.describe());
    }

    @Test
    void optionsComeFromSystemPropertiesToo() throws Exception {
        ChildJvm.Result r = ChildJvm.run(
                List.of(
                        "--add-modules",
                        "jdk.incubator.vector",
                        "-Dquant4j.agent.cache=none",
                        "-javaagent:" + ChildJvm.agentJar()),
                StatusMain.class);
        assertEquals(0, r.exitCode(), r.describe());
        assertTrue(r.stdout().contains("cache=none"), r.describe());
        assertEquals(
                "",
                r.stderr()
                        .replace("WARNING: Using incubator modules: jdk.incubator.vector", "")
                        .strip(),
                "the default log level is quiet on success");
    }

    @Test
    void withoutTheRuntimeOnTheClassPathTheAgentStaysInactiveAndTheProgramRuns() throws Exception {
        String testClasses = Path.of(HelloMain.class
                        .getProtectionDomain()
                        .getCodeSource()
                        .getLocation()
                        .toURI())
                .toString();
        ChildJvm.Result r = ChildJvm.run(
                List.of("-javaagent:" + ChildJvm.agentJar()), testClasses, HelloMain.class.getName(), List.of(), 60);
        assertEquals(0, r.exitCode(), r.describe());
        assertTrue(r.stdout().contains("hello, still running"), r.describe());
        assertTrue(
                r.stderr().contains("quant4j-runtime") && r.stderr().contains("not on the class path"), r.describe());
    }
}

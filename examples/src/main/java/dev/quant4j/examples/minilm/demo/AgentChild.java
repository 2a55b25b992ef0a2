package dev.quant4j.examples.minilm.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the agent mode in a child JVM started with {@code -javaagent}: the same class path and the
 * same demo, told by {@code --child} to print its results as lines {@code RESULT <json>} on stdout. Its
 * stderr (progress, errors) goes straight to ours.
 */
final class AgentChild {

    /** System property naming the agent jar; the launcher and the build set it. */
    static final String AGENT_JAR_PROPERTY = "quant4j.agent.jar";

    static final String DEFAULT_AGENT_JAR = "agent/target/quant4j-agent.jar";
    static final String RESULT_PREFIX = "RESULT ";

    private AgentChild() {}

    /** The agent jar to use, checked to exist. */
    static Path agentJar() throws IOException {
        Path jar = Path.of(System.getProperty(AGENT_JAR_PROPERTY, DEFAULT_AGENT_JAR));
        if (!Files.isRegularFile(jar)) {
            throw new IOException("agent mode needs the agent jar, and " + jar.toAbsolutePath() + " does not exist:"
                    + " build it with ./mvnw -B -DskipTests package -pl agent -am (./quant4j demo does), name another"
                    + " with -D" + AGENT_JAR_PROPERTY + "=PATH, or run --mode holder");
        }
        return jar;
    }

    /** The command line of the child JVM. */
    static List<String> command(Path agentJar, List<String> demoArguments) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--add-modules");
        cmd.add("jdk.incubator.vector");
        cmd.add("-javaagent:" + agentJar.toAbsolutePath());
        for (String arg :
                java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // The heap limit and explicit GC settings change what the child measures; keep them equal.
            if (arg.startsWith("-Xmx")
                    || arg.startsWith("-Xms")
                    || (arg.startsWith("-XX:+Use") && arg.endsWith("GC"))) {
                cmd.add(arg);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Demo.class.getName());
        cmd.addAll(demoArguments);
        return cmd;
    }

    /** Runs the child and returns its results. */
    static List<DemoResult> run(List<String> demoArguments) throws IOException {
        List<String> cmd = command(agentJar(), demoArguments);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.redirectInput(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        List<DemoResult> results = new ArrayList<>();
        List<String> other = new ArrayList<>();
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                if (line.startsWith(RESULT_PREFIX)) {
                    results.add(DemoReport.parseInternalLine(line.substring(RESULT_PREFIX.length())));
                } else {
                    other.add(line);
                }
            }
        }
        int code;
        try {
            code = p.waitFor();
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while the agent-mode JVM ran", e);
        }
        if (code != 0) {
            throw new IOException("the agent-mode JVM failed (exit " + code + "; its errors are above)"
                    + (other.isEmpty() ? "" : "; it printed: " + String.join("\n", other)) + "\ncommand: "
                    + String.join(" ", cmd));
        }
        return results;
    }
}

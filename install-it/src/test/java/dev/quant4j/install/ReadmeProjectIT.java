package dev.quant4j.install;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A user's first hour, as a test: the project that README.md's "Using it in a project of your own" section
 * shows (its pom.xml, model, application and test, read from the README itself, so the two cannot drift
 * apart) is written into target/readme-project and built with the README's own commands, offline, against
 * target/it-repo, where invoker:install has put the artifacts the way {@code ./mvnw install} puts them into
 * ~/.m2. Plugins and third-party jars are read from the outer build's local repository, read-only
 * ({@code maven.repo.local.tail}); nothing is written there.
 */
class ReadmeProjectIT {
    /** A fenced block right after {@code <!-- readme-project: NAME -->}: a file of the project, or its commands. */
    private static final Pattern BLOCK =
            Pattern.compile("<!-- readme-project: (\\S+) -->\\n```[a-z]*\\n(.*?)\\n```\\n", Pattern.DOTALL);

    private static final Pattern VERSION = Pattern.compile("<quant4j.version>([^<]+)</quant4j.version>");
    private static final Pattern SAVED = Pattern.compile("saved (\\d+) bytes, loaded back: w1 sum (-?[0-9.]+)");
    private static final Pattern SUMS = Pattern.compile("w1 sum: (-?[0-9.]+) before, (-?[0-9.]+) now");

    private static Path property(String name) {
        String value = System.getProperty(name);
        assertTrue(value != null && !value.isBlank(), "system property " + name + " (set by install-it/pom.xml)");
        return Path.of(value);
    }

    @Test
    void theReadmeProjectBuildsTestsAndRunsWithAndWithoutTheAgent() throws Exception {
        String readme = Files.readString(property("quant4j.readme"), StandardCharsets.UTF_8);
        Map<String, String> blocks = new LinkedHashMap<>();
        Matcher m = BLOCK.matcher(readme);
        while (m.find()) {
            assertEquals(null, blocks.put(m.group(1), m.group(2) + "\n"), "README names " + m.group(1) + " twice");
        }
        assertTrue(
                blocks.containsKey("pom.xml") && blocks.containsKey("commands"), "README blocks: " + blocks.keySet());

        Matcher v = VERSION.matcher(blocks.get("pom.xml"));
        assertTrue(v.find(), "the README's pom.xml sets quant4j.version");
        assertEquals(System.getProperty("quant4j.version"), v.group(1), "the README's version is the build's");

        Path work = property("quant4j.it.work");
        deleteTree(work);
        // Its own .mvn: the project is a root of its own, not part of quant4j's tree above it.
        Files.createDirectories(work.resolve(".mvn"));
        for (Map.Entry<String, String> e : blocks.entrySet()) {
            if (!e.getKey().equals("commands")) {
                Path file = work.resolve(e.getKey()).normalize();
                assertTrue(file.startsWith(work), e.getKey());
                Files.createDirectories(file.getParent());
                Files.writeString(file, e.getValue(), StandardCharsets.UTF_8);
            }
        }

        List<List<String>> commands = commands(blocks.get("commands"));
        assertEquals(3, commands.size(), "the README's commands: package, run without and with the agent");
        String build = run(work, commands.get(0));
        String plain = run(work, commands.get(1));
        String agent = run(work, commands.get(2));

        // mvn package: the processor ran (the generated visitor is in the jar) and the test passed under the agent.
        assertTrue(build.contains("Tests run: 1, Failures: 0, Errors: 0, Skipped: 0"), build);
        assertTrue(Files.exists(work.resolve("target/hello-quant4j-1.0.jar")), build);
        try (Stream<Path> generated = Files.walk(work.resolve("target/generated-sources"))) {
            assertTrue(generated.anyMatch(p -> p.getFileName().toString().startsWith("Mlp")), "generated visitor");
        }

        assertTrue(plain.contains("agent active: false"), plain);
        assertTrue(agent.contains("agent active: true"), agent);
        assertTrue(plain.lines().anyMatch(l -> l.startsWith("w1 ") && l.contains("simulated")), plain);
        assertFalse(plain.contains("quantized "), "nothing is quantized without the agent:\n" + plain);
        assertTrue(agent.lines().anyMatch(l -> l.startsWith("w1 ") && l.contains("quantized")), agent);
        assertTrue(agent.lines().anyMatch(l -> l.startsWith("w2 ") && l.contains("quantized")), agent);

        // The same seed gives the same floats; simulate (no agent) writes back exactly the values that the agent
        // dequantizes, and what is loaded back from the file equals what was saved.
        double[] plainSums = sums(plain);
        double[] agentSums = sums(agent);
        assertEquals(plainSums[0], agentSums[0], 0.0, "before:\n" + plain + agent);
        assertEquals(plainSums[1], agentSums[1], 0.0, "after:\n" + plain + agent);
        assertTrue(plainSums[0] != plainSums[1], "quantization changed no weight:\n" + plain);
        assertEquals(plainSums[1], loaded(plain), 0.0, plain);
        assertEquals(agentSums[1], loaded(agent), 0.0, agent);

        // ModelFiles.save and load work on both class paths (gson is there); quantized, the file is smaller.
        long plainBytes = saved(plain);
        long agentBytes = saved(agent);
        assertTrue(agentBytes * 3 < plainBytes, "quantized file " + agentBytes + " bytes, float32 " + plainBytes);
    }

    /** The README's command lines, each {@code mvn ARGS # comment}, as the Maven under test runs them. */
    private static List<List<String>> commands(String block) {
        String mvn = property("quant4j.it.mavenHome").resolve("bin/mvn").toString();
        List<List<String>> out = new ArrayList<>();
        for (String line : block.lines().toList()) {
            int hash = line.indexOf(" #");
            String command = (hash >= 0 ? line.substring(0, hash) : line).strip();
            if (command.isEmpty()) {
                continue;
            }
            List<String> words = List.of(command.split("\\s+"));
            assertEquals("mvn", words.get(0), "a README command that is not mvn: " + line);
            List<String> args = new ArrayList<>();
            args.add(mvn);
            // Offline, installed artifacts from the private repository, the rest read-only from the outer one.
            args.add("-o");
            args.add("-ntp");
            args.add("-Dmaven.repo.local=" + property("quant4j.it.repo"));
            args.add("-Dmaven.repo.local.tail=" + property("quant4j.it.repoTail"));
            args.addAll(words.subList(1, words.size()));
            out.add(args);
        }
        return out;
    }

    private static String run(Path dir, List<String> command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        // The JDK 25 this test runs on; nothing from the outer build's Maven settings.
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("MAVEN_ARGS");
        pb.environment().remove("MAVEN_OPTS");
        Path log = Files.createTempFile(dir.getParent(), "readme-project", ".log");
        pb.redirectOutput(log.toFile());
        Process p = pb.start();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", command) + " ran over 300 s:\n" + Files.readString(log));
        }
        String output = Files.readString(log);
        Files.delete(log);
        assertEquals(0, p.exitValue(), String.join(" ", command) + "\n" + output);
        System.out.println("$ " + String.join(" ", command) + "\n" + output);
        return output;
    }

    private static double[] sums(String output) {
        Matcher m = SUMS.matcher(output);
        assertTrue(m.find(), output);
        return new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2))};
    }

    private static double loaded(String output) {
        Matcher m = SAVED.matcher(output);
        assertTrue(m.find(), output);
        return Double.parseDouble(m.group(2));
    }

    private static long saved(String output) {
        Matcher m = SAVED.matcher(output);
        assertTrue(m.find(), output);
        return Long.parseLong(m.group(1));
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}

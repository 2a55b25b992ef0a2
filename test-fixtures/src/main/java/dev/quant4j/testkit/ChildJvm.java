package dev.quant4j.testkit;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a main class of the test class path in a fresh JVM, for what one JVM cannot show (start-up, -Xmx bounds). */
public final class ChildJvm {
    /** Exit status and the two output streams. */
    public record Result(int exitCode, String stdout, String stderr) {
        public String describe() {
            return "exit " + exitCode + "\n--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr;
        }
    }

    private ChildJvm() {}

    /** The agent jar under test (set by the build), checked to exist. */
    public static String agentJar() {
        String jar = System.getProperty("quant4j.it.agentJar");
        if (jar == null || !new File(jar).isFile()) {
            throw new IllegalStateException("system property quant4j.it.agentJar must name the built agent jar, got "
                    + jar + "; run the tests through Maven (./mvnw -pl agent-it -am verify)");
        }
        return jar;
    }

    public static String testClassPath() {
        return System.getProperty("java.class.path");
    }

    /** A main class of the test class path, with no arguments and a minute to finish. */
    public static Result run(List<String> jvmArgs, Class<?> mainClass) throws IOException, InterruptedException {
        return run(jvmArgs, testClassPath(), mainClass.getName(), List.of(), 60);
    }

    public static Result run(
            List<String> jvmArgs, String classPath, String mainClass, List<String> args, long timeoutSeconds)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add(mainClass);
        cmd.addAll(args);
        Path out = Files.createTempFile("child-jvm", ".out");
        Path err = Files.createTempFile("child-jvm", ".err");
        try {
            Process p = new ProcessBuilder(cmd)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new IllegalStateException("child JVM did not finish in " + timeoutSeconds + " s: " + cmd + "\n"
                        + Files.readString(err, StandardCharsets.UTF_8));
            }
            return new Result(
                    p.exitValue(),
                    Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}

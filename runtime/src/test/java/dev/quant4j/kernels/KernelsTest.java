package dev.quant4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Which kernels start-up picks, in this JVM and in child JVMs started with and without the Vector API. */
class KernelsTest {
    @Test
    void thisJvmUsesWhatItsFlagsAskFor() {
        String forced = System.getProperty(Kernels.KERNELS_PROPERTY, "");
        if (forced.equals("scalar")) {
            assertEquals("scalar", Kernels.active().name());
        } else {
            assertTrue(Kernels.vectorModulePresent(), "the test JVM runs with --add-modules jdk.incubator.vector");
            assertEquals(
                    "panama-" + PanamaKernels.vectorBits(), Kernels.active().name());
        }
        assertEquals("scalar", Kernels.scalar().name());
    }

    @Test
    void withoutTheModuleTheScalarKernelsRunAndOneLineSaysHowToEnableSimd() throws Exception {
        Result r = probe(List.of());
        assertEquals("kernels=scalar", r.stdout.strip(), r.toString());
        long lines = r.stderr.lines().filter(l -> l.contains("SIMD is off")).count();
        assertEquals(1, lines, r.toString());
        assertTrue(r.stderr.contains("--add-modules jdk.incubator.vector"), r.toString());
    }

    @Test
    void propertiesForceTheScalarPathOrAWidth() throws Exception {
        Result scalar = probe(List.of("--add-modules", "jdk.incubator.vector", "-Dquant4j.kernels=scalar"));
        assertEquals("kernels=scalar", scalar.stdout.strip(), scalar.toString());
        assertTrue(!scalar.stderr.contains("SIMD is off"), scalar.toString());
        Result narrow = probe(List.of("--add-modules", "jdk.incubator.vector", "-Dquant4j.vectorBits=128"));
        assertEquals("kernels=panama-128", narrow.stdout.strip(), narrow.toString());
        Result bad = probe(List.of("--add-modules", "jdk.incubator.vector", "-Dquant4j.vectorBits=100"));
        assertTrue(bad.stdout.strip().startsWith("kernels=panama-"), bad.toString());
        assertTrue(bad.stderr.contains("ignoring -Dquant4j.vectorBits=100"), bad.toString());
    }

    private record Result(int exit, String stdout, String stderr) {}

    private static Result probe(List<String> jvmArgs) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(KernelsProbe.class.getName());
        Process p = new ProcessBuilder(cmd).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "probe JVM did not finish: " + cmd);
        Result r = new Result(
                p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
        assertEquals(0, r.exit, r.toString());
        return r;
    }
}

package dev.quant4j.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import dev.quant4j.annotations.Quantize;
import dev.quant4j.quantize.Quantizer;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.lang.module.ModuleDescriptor;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runtime's module descriptor keeps the kernels' internals out of the API (docs/ARCHITECTURE.md, "Public
 * surface"): read from the compiled {@code module-info.class}, then proved from outside by a module on the module
 * path that compiles against the API, fails to compile against an internal package, and runs.
 */
class ModuleBoundaryTest {
    /** The API packages, exactly as docs/ARCHITECTURE.md lists them. */
    private static final Set<String> API = Set.of(
            "dev.quant4j.calibrate",
            "dev.quant4j.errors",
            "dev.quant4j.fields",
            "dev.quant4j.format",
            "dev.quant4j.io",
            "dev.quant4j.io.gguf",
            "dev.quant4j.kernels",
            "dev.quant4j.model",
            "dev.quant4j.plan",
            "dev.quant4j.qat",
            "dev.quant4j.quantize",
            "dev.quant4j.rules",
            "dev.quant4j.tensor");

    /** Internal packages exported all the same, each for the reason docs/ARCHITECTURE.md gives. */
    private static final Set<String> EXPORTED_INTERNAL = Set.of("dev.quant4j.fields.internal");

    @Test
    void theDescriptorExportsTheApiAndOnlyTheDocumentedInternalPackage() throws IOException, URISyntaxException {
        ModuleDescriptor d;
        try (InputStream in =
                Files.newInputStream(location(QuantizedTensor.class).resolve("module-info.class"))) {
            d = ModuleDescriptor.read(in);
        }
        assertEquals("dev.quant4j.runtime", d.name());
        List<String> qualified = d.exports().stream()
                .filter(ModuleDescriptor.Exports::isQualified)
                .map(ModuleDescriptor.Exports::toString)
                .toList();
        assertEquals(List.of(), qualified, "qualified exports");
        Set<String> exported = d.exports().stream()
                .map(ModuleDescriptor.Exports::source)
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> expected = new TreeSet<>(API);
        expected.addAll(EXPORTED_INTERNAL);
        assertEquals(expected, exported, "exported packages");

        Set<String> hidden = new TreeSet<>(d.packages());
        hidden.removeAll(exported);
        assertEquals(Set.of("dev.quant4j.kernels.internal"), hidden, "packages the module does not export");
        for (String p : d.packages()) {
            assertEquals(
                    p.endsWith(".internal"),
                    !API.contains(p),
                    p + ": API packages are exactly those not named internal");
        }
        assertTrue(d.opens().isEmpty(), "opens: " + d.opens());

        ModuleDescriptor.Requires vector = d.requires().stream()
                .filter(r -> r.name().equals("jdk.incubator.vector"))
                .findFirst()
                .orElseThrow();
        assertEquals(Set.of(ModuleDescriptor.Requires.Modifier.STATIC), vector.modifiers(), vector.toString());
        assertEquals(
                List.of("dev.quant4j.kernels.internal.ActiveDequantizer"),
                d.provides().stream()
                        .filter(p -> p.service().equals("dev.quant4j.tensor.Dequantizer"))
                        .flatMap(p -> p.providers().stream())
                        .toList());
        assertTrue(d.uses().contains("dev.quant4j.tensor.Dequantizer"), "uses: " + d.uses());
    }

    @Test
    void aModuleOnTheModulePathReachesTheApiButNotTheInternals(@TempDir Path dir) throws Exception {
        String modulePath = modulePath();
        Path api = module(dir.resolve("api"), """
                package probe;

                import dev.quant4j.fields.QuantizedFields;
                import dev.quant4j.kernels.Kernels;
                import dev.quant4j.quantize.Quantizer;
                import dev.quant4j.tensor.FloatTensor;
                import dev.quant4j.quantize.Quantizer;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
                import java.util.Arrays;

                public final class Main {
                    public static void main(String[] args) {
                        QuantizedTensor q = Quantizer.of("q8s").quantize("w", FloatTensor.vector(new float[] {1f, -2f, 0.5f}));
                        System.out.println("kernels=" + Kernels.active().name() + " agentActive="
                                + QuantizedFields.agentActive() + " values=" + Arrays.toString(q.dequantize().data()));
                    }
                }
                """);
        String apiErrors = compile(api, modulePath);
        assertEquals("", apiErrors, "the API compiles from a named module");

        Path internal = module(dir.resolve("internal"), """
                package probe;

                public final class Main {
                    public static void main(String[] args) {
                        System.out.println(new dev.quant4j.kernels.internal.ActiveDequantizer());
                    }
                }
                """);
        String internalErrors = compile(internal, modulePath);
        assertTrue(
                internalErrors.contains("package dev.quant4j.kernels.internal is not visible")
                        && internalErrors.contains("does not export it"),
                internalErrors);

        // Run on the module path: the Dequantizer service comes from `provides`, and without the incubator module
        // (requires static) the kernels fall back to the scalar reference; with it they are the SIMD ones.
        String values = "values="
                + Arrays.toString(Quantizer.of("q8s")
                        .quantize("w", FloatTensor.vector(new float[] {1f, -2f, 0.5f}))
                        .dequantize()
                        .data());
        String plain = run(List.of(), modulePath + File.pathSeparator + api.resolve("out"));
        assertTrue(plain.startsWith("kernels=scalar agentActive=false ") && plain.contains(values), plain);
        String simd = run(
                List.of("--add-modules", "jdk.incubator.vector"), modulePath + File.pathSeparator + api.resolve("out"));
        assertTrue(simd.startsWith("kernels=panama-") && simd.contains(values), simd);
    }

    /** A module {@code probe} that requires the runtime, with {@code probe.Main} as given. */
    private static Path module(Path root, String main) throws IOException {
        Files.createDirectories(root.resolve("src/probe"));
        Files.writeString(root.resolve("src/module-info.java"), "module probe { requires dev.quant4j.runtime; }\n");
        Files.writeString(root.resolve("src/probe/Main.java"), main);
        return root;
    }

    /** javac's diagnostics when the module under {@code root} does not compile, else empty; classes in root/out. */
    private static String compile(Path root, String modulePath) throws IOException {
        Files.createDirectories(root.resolve("empty"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter out = new StringWriter();
        boolean ok = javac.getTask(
                        out,
                        null,
                        null,
                        // An empty class path: javac's default is this JVM's, which holds the runtime's classes too.
                        List.of(
                                "--module-path",
                                modulePath,
                                "--class-path",
                                root.resolve("empty").toString(),
                                "-d",
                                root.resolve("out").toString()),
                        null,
                        javac.getStandardFileManager(null, null, StandardCharsets.UTF_8)
                                .getJavaFileObjects(
                                        root.resolve("src/module-info.java"), root.resolve("src/probe/Main.java")))
                .call();
        String text = out.toString();
        return ok ? "" : text;
    }

    /** Standard output of {@code java -m probe/probe.Main} on the given module path; fails on a non-zero exit. */
    private static String run(List<String> jvmArgs, String modulePath) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("--module-path", modulePath, "-m", "probe/probe.Main"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "probe JVM did not finish: " + cmd);
        assertEquals(0, p.exitValue(), cmd + "\n" + output);
        return output.lines().filter(l -> l.startsWith("kernels=")).findFirst().orElse(output);
    }

    /** The runtime and the modules it requires (annotations, scheme, gson), from where this JVM loaded them. */
    private static String modulePath() throws URISyntaxException {
        List<String> entries = new ArrayList<>();
        for (Class<?> c : List.of(QuantizedTensor.class, Quantize.class, QuantScheme.class, JsonParser.class)) {
            Path p = location(c);
            assertTrue(
                    Files.exists(p.resolve("module-info.class")) || p.toString().endsWith(".jar"), p.toString());
            entries.add(p.toString());
        }
        return String.join(File.pathSeparator, entries);
    }

    private static Path location(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    @Test
    void everyExportedInternalPackageSaysItIsNotApi() throws IOException, URISyntaxException {
        for (String p : EXPORTED_INTERNAL) {
            Path info = Path.of("src/main/java", p.replace('.', '/'), "package-info.java");
            String text = Files.readString(info);
            assertTrue(text.contains("Not API"), info + " says it is not API");
            assertFalse(API.contains(p), p);
        }
    }
}

package dev.quant4j.processor;

import static com.google.testing.compile.CompilationSubject.assertThat;
import static com.google.testing.compile.Compiler.javac;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.testing.compile.Compilation;
import com.google.testing.compile.JavaFileObjects;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;

/**
 * Golden files: {@code golden/<case>/input/*.java} compiled with the processor must generate exactly the
 * files in {@code golden/<case>/expected/}, character for character. An expected file is stored as
 * {@code <generated name>.golden} (for example {@code Mlp_Quantization.java.golden}): it is data the test
 * compares against, not a source file of this module. After an intended change to the generated code, rerun
 * with {@code -Dquant4j.golden.update=true} to rewrite the expected files, then review the diff.
 */
class GoldenFilesTest {
    /** What an expected file's name adds to the name of the generated file it pins. */
    private static final String SUFFIX = ".golden";

    private static final Path GOLDEN = Path.of(System.getProperty("quant4j.golden.dir", "src/test/resources/golden"));
    private static final boolean UPDATE = Boolean.getBoolean("quant4j.golden.update");

    private static List<JavaFileObject> inputs(String golden) throws IOException {
        List<JavaFileObject> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(GOLDEN.resolve(golden).resolve("input"))) {
            for (Path p : files.sorted().toList()) {
                String pkg = "golden." + golden + ".";
                String name = p.getFileName().toString().replace(".java", "");
                out.add(JavaFileObjects.forSourceString(pkg + name, Files.readString(p, StandardCharsets.UTF_8)));
            }
        }
        return out;
    }

    /** Every generated source file of the compilation, by simple file name. */
    private static Map<String, String> generated(Compilation c) {
        Map<String, String> out = new TreeMap<>();
        for (JavaFileObject f : c.generatedSourceFiles()) {
            try {
                String name = Path.of(f.toUri().getPath()).getFileName().toString();
                out.put(name, f.getCharContent(true).toString());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    private static Compilation compile(List<JavaFileObject> sources) {
        return javac().withProcessors(new QuantizeProcessor())
                .withOptions("-Xlint:all,-processing,-serial")
                .compile(sources);
    }

    private static void check(String golden) throws IOException {
        Compilation c = compile(inputs(golden));
        assertThat(c).succeededWithoutWarnings();
        Map<String, String> actual = generated(c);
        Path expectedDir = GOLDEN.resolve(golden).resolve("expected");
        if (UPDATE) {
            for (Map.Entry<String, String> e : actual.entrySet()) {
                Path tmp = Files.createTempFile(expectedDir, "golden", ".tmp");
                Files.writeString(tmp, e.getValue(), StandardCharsets.UTF_8);
                Files.move(
                        tmp,
                        expectedDir.resolve(e.getKey() + SUFFIX),
                        StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.ATOMIC_MOVE);
            }
        }
        Map<String, String> expected = new TreeMap<>();
        try (Stream<Path> files = Files.list(expectedDir)) {
            for (Path p : files.toList()) {
                String file = p.getFileName().toString();
                assertTrue(file.endsWith(SUFFIX), "expected file without " + SUFFIX + ": " + p);
                expected.put(
                        file.substring(0, file.length() - SUFFIX.length()),
                        Files.readString(p, StandardCharsets.UTF_8));
            }
        }
        assertEquals(expected.keySet(), actual.keySet(), "generated files of golden case " + golden);
        for (String name : expected.keySet()) {
            assertEquals(expected.get(name), actual.get(name), golden + "/expected/" + name + SUFFIX);
        }
    }

    @Test
    void theIssuesMlpExample() throws IOException {
        check("mlp");
    }

    @Test
    void defaultsNamedSchemesDimsAccessorsInheritanceNestedClassesAndLists() throws IOException {
        check("features");
    }

    @Test
    void theOutputDoesNotDependOnTheOrderOfTheSources() throws IOException {
        List<JavaFileObject> sources = inputs("features");
        Map<String, String> first = generated(compile(sources));
        List<JavaFileObject> reversed = new ArrayList<>(sources);
        Collections.reverse(reversed);
        Map<String, String> second = generated(compile(reversed));
        assertTrue(first.size() >= 5, first.keySet().toString());
        assertEquals(first, second);
    }
}

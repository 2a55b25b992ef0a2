package dev.quant4j.processor;

import static com.google.testing.compile.Compiler.javac;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.testing.compile.Compilation;
import com.google.testing.compile.JavaFileObjects;
import dev.quant4j.annotations.QuantLevel;
import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantStore;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.scheme.QuantScheme;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.StringJoiner;
import javax.tools.Diagnostic;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;

/**
 * Random {@code @Quantize} attribute combinations, biased toward the invalid edges: each field must get
 * exactly the errors {@link QuantScheme#problems()} gives for the scheme its attributes describe, on its
 * own line; each valid field must get exactly that scheme in the generated visitor.
 */
class RandomSchemesTest {
    private static final int[][] BLOCKS = {
        {32}, {}, {0}, {-4}, {1, 32}, {2, 16}, {1, 1, 1, 1, 1, 1, 8}, {2, 2, 2, 2, 2, 2}, {3}, {64}, {4, 0}
    };

    /** One drawn field: its annotation text and the scheme it must give. */
    private record Drawn(String annotation, QuantScheme scheme) {}

    private static Drawn draw(SplittableRandom r) {
        QuantScheme s = QuantScheme.DEFAULT;
        StringJoiner attrs = new StringJoiner(", ", "@Quantize(", ")");
        QuantValue value = QuantValue.Q8S;
        QuantLevel level = QuantLevel.TENSOR;
        int[] block = {32};
        QuantStore store = QuantStore.U32;
        QuantParam param = QuantParam.F32;
        if (r.nextBoolean()) {
            value = QuantValue.values()[r.nextInt(QuantValue.values().length)];
            attrs.add("value = QuantValue." + value);
        }
        if (r.nextInt(3) > 0) {
            level = r.nextBoolean() ? QuantLevel.BLOCK : QuantLevel.TENSOR;
            attrs.add("level = QuantLevel." + level);
        }
        if (r.nextInt(4) > 0) {
            // Also at the tensor level, where it must be ignored (a warning, not an error).
            block = BLOCKS[r.nextInt(BLOCKS.length)];
            StringJoiner b = new StringJoiner(", ", "{", "}");
            Arrays.stream(block).forEach(x -> b.add(Integer.toString(x)));
            attrs.add("blockSize = " + b);
        }
        if (r.nextBoolean()) {
            store = r.nextBoolean() ? QuantStore.NATIVE : QuantStore.U32;
            attrs.add("store = QuantStore." + store);
        }
        if (r.nextBoolean()) {
            param = QuantParam.values()[r.nextInt(QuantParam.values().length)];
            attrs.add("param = QuantParam." + param);
        }
        s = QuantScheme.of(
                value, level, level == QuantLevel.BLOCK ? block : null, store, param, s.mode(), s.calibration());
        return new Drawn(attrs.toString(), s);
    }

    @Test
    void errorsAndGeneratedSchemesFollowQuantSchemeExactly() throws IOException {
        long seed = 20261128L;
        SplittableRandom r = new SplittableRandom(seed);
        List<Drawn> valid = new ArrayList<>();
        List<Drawn> invalid = new ArrayList<>();
        while (valid.size() < 40 || invalid.size() < 40) {
            Drawn d = draw(r);
            (d.scheme().isValid() ? valid : invalid).add(d);
        }
        String header =
                "package demo;\n\nimport dev.quant4j.annotations.*;\nimport dev.quant4j.model.QuantizableTensor;\n\n";
        StringBuilder good = new StringBuilder(header).append("class Good {\n");
        for (int i = 0; i < valid.size(); i++) {
            good.append("    ")
                    .append(valid.get(i).annotation())
                    .append(" QuantizableTensor f")
                    .append(i)
                    .append(";\n");
        }
        good.append("}\n");
        StringBuilder bad = new StringBuilder(header).append("class Bad {\n");
        Map<Long, Drawn> badByLine = new HashMap<>();
        for (int i = 0; i < invalid.size(); i++) {
            // Line of field i: 5 header lines, the class line, then one line per field.
            badByLine.put(7L + i, invalid.get(i));
            bad.append("    ")
                    .append(invalid.get(i).annotation())
                    .append(" QuantizableTensor f")
                    .append(i)
                    .append(";\n");
        }
        bad.append("}\n");

        JavaFileObject goodFile = JavaFileObjects.forSourceString("demo.Good", good.toString());
        JavaFileObject badFile = JavaFileObjects.forSourceString("demo.Bad", bad.toString());
        Compilation c = javac().withProcessors(new QuantizeProcessor()).compile(badFile);

        Map<Long, List<String>> errorsByLine = new HashMap<>();
        for (Diagnostic<? extends JavaFileObject> d : c.errors()) {
            assertEquals(badFile.toUri(), d.getSource().toUri(), "seed " + seed + ": " + d);
            errorsByLine
                    .computeIfAbsent(d.getLineNumber(), k -> new ArrayList<>())
                    .add(d.getMessage(null));
        }
        for (Map.Entry<Long, Drawn> e : badByLine.entrySet()) {
            Drawn d = e.getValue();
            List<String> expected = d.scheme().problems().stream()
                    .map(p -> p.message() + "; " + p.annotationFix())
                    .toList();
            assertEquals(
                    expected,
                    errorsByLine.getOrDefault(e.getKey(), List.of()),
                    "seed " + seed + ", line " + e.getKey() + ": " + d.annotation());
        }
        assertEquals(badByLine.keySet(), errorsByLine.keySet(), "seed " + seed + ": errors only on invalid fields");

        Compilation ok = javac().withProcessors(new QuantizeProcessor()).compile(goodFile);
        assertTrue(ok.errors().isEmpty(), "seed " + seed + ": " + ok.errors());
        String generated = ok.generatedSourceFiles().stream()
                .filter(f -> f.getName().endsWith("Good_Quantization.java"))
                .findFirst()
                .orElseThrow()
                .getCharContent(true)
                .toString();
        for (int i = 0; i < valid.size(); i++) {
            String constant =
                    "F" + i + "_SCHEME = QuantScheme.parse(\"" + valid.get(i).scheme() + "\");";
            assertTrue(
                    generated.contains(constant),
                    "seed " + seed + ": " + valid.get(i).annotation() + " -> "
                            + valid.get(i).scheme());
        }
    }
}

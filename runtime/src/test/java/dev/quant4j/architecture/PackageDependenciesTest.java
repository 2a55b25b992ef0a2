package dev.quant4j.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.quant4j.tensor.QuantizedTensor;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The runtime's packages depend on each other bottom-up, without loops (docs/ARCHITECTURE.md). The
 * dependencies are read from the compiled classes' constant pools (every class, field and method type
 * a class names), so an import, a fully qualified name and a lambda all count, and string constants
 * (log text, a class loaded by name) do not.
 */
class PackageDependenciesTest {
    /**
     * The layers, lowest first; a package may depend only on packages in lower layers or its own.
     * The order is the one docs/ARCHITECTURE.md draws.
     */
    private static final List<Set<String>> LAYERS = List.of(
            Set.of("annotations", "scheme"), // the quant4j-annotations and quant4j-scheme modules
            Set.of("errors", "format"),
            Set.of("tensor"),
            Set.of("fields/internal"), // not API: the agent's store and hooks, below the API that reads them
            Set.of("rules", "fields", "io"),
            Set.of("io/gguf"), // a second file format, on io's sink, spec and text helpers
            Set.of("kernels"),
            Set.of("kernels/internal"), // not API: the tensor.Dequantizer service provider, on Kernels.active()
            Set.of("calibrate"),
            Set.of("quantize"),
            Set.of("model"),
            Set.of("qat", "plan", "calibrate"));

    private static final Pattern TYPE = Pattern.compile("dev/quant4j/([a-z0-9_]+(?:/[a-z0-9_]+)*)/[A-Za-z0-9_$]+");

    @Test
    void packagesFormNoCycleAndFollowTheLayers() throws IOException, URISyntaxException {
        Map<String, Set<String>> deps = packageDependencies();
        assertTrue(deps.keySet().containsAll(List.of("tensor", "kernels", "rules", "model")), deps.toString());
        List<List<String>> cycles = cycles(deps);
        assertEquals(List.of(), cycles, "package cycles among " + deps);
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, Set<String>> e : deps.entrySet()) {
            int from = layer(e.getKey());
            if (from < 0) {
                wrong.add(e.getKey() + " is in no layer; add it to LAYERS and docs/ARCHITECTURE.md");
                continue;
            }
            for (String to : e.getValue()) {
                if (!to.equals(e.getKey()) && layer(to) >= from) {
                    wrong.add(e.getKey() + " -> " + to);
                }
            }
        }
        assertEquals(List.of(), wrong, "dependencies that point sideways or up, in " + deps);
        System.out.println("runtime package dependencies: " + deps);
    }

    @Test
    void theCycleFinderFindsACycle() {
        Map<String, Set<String>> deps = new TreeMap<>();
        deps.put("a", Set.of("b"));
        deps.put("b", Set.of("c"));
        deps.put("c", Set.of("a"));
        deps.put("d", Set.of("a"));
        assertEquals(List.of(List.of("a", "b", "c")), cycles(deps));
    }

    private static int layer(String pkg) {
        String top = pkg.contains("/") ? pkg.substring(0, pkg.indexOf('/')) : pkg;
        // A subpackage named in a layer of its own is there; any other is in its top package's layer.
        for (int i = 0; i < LAYERS.size(); i++) {
            if (LAYERS.get(i).contains(pkg)) {
                return i;
            }
        }
        for (int i = 0; i < LAYERS.size(); i++) {
            if (LAYERS.get(i).contains(top)) {
                return i;
            }
        }
        return -1;
    }

    /** Package (below dev/quant4j, slash-separated) to the other dev.quant4j packages its classes name. */
    private static Map<String, Set<String>> packageDependencies() throws IOException, URISyntaxException {
        Path root = Path.of(QuantizedTensor.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toURI());
        Path base = root.resolve("dev/quant4j");
        Map<String, Set<String>> deps = new TreeMap<>();
        List<Path> classes;
        try (Stream<Path> s = Files.walk(base)) {
            classes = s.filter(p -> p.toString().endsWith(".class")).toList();
        }
        assertTrue(classes.size() > 20, "compiled runtime classes under " + base);
        for (Path c : classes) {
            String pkg = base.relativize(c.getParent()).toString().replace('\\', '/');
            Set<String> to = deps.computeIfAbsent(pkg, k -> new TreeSet<>());
            for (String type : typeNames(c)) {
                Matcher m = TYPE.matcher(type);
                while (m.find()) {
                    if (!m.group(1).equals(pkg)) {
                        to.add(m.group(1));
                    }
                }
            }
        }
        return deps;
    }

    /** The UTF-8 constants of a class file, except those that are only the text of string literals. */
    private static List<String> typeNames(Path classFile) throws IOException {
        try (InputStream in = Files.newInputStream(classFile);
                DataInputStream d = new DataInputStream(in)) {
            if (d.readInt() != 0xCAFEBABE) {
                fail(classFile + " is not a class file");
            }
            d.readUnsignedShort();
            d.readUnsignedShort();
            int count = d.readUnsignedShort();
            String[] utf8 = new String[count];
            BitSet literal = new BitSet(count);
            BitSet named = new BitSet(count);
            for (int i = 1; i < count; i++) {
                int tag = d.readUnsignedByte();
                switch (tag) {
                    case 1 -> utf8[i] = d.readUTF();
                    case 3, 4 -> d.readInt();
                    case 5, 6 -> {
                        d.readLong();
                        i++;
                    }
                    case 8 -> literal.set(d.readUnsignedShort());
                    case 7, 16, 19, 20 -> named.set(d.readUnsignedShort());
                    case 9, 10, 11, 12, 17, 18 -> d.readInt();
                    case 15 -> {
                        d.readUnsignedByte();
                        d.readUnsignedShort();
                    }
                    default -> fail(classFile + ": unknown constant pool tag " + tag + " at entry " + i);
                }
            }
            List<String> out = new ArrayList<>();
            for (int i = 1; i < count; i++) {
                // A UTF-8 entry both named by a class entry and used as a literal still names a type.
                if (utf8[i] != null && (named.get(i) || !literal.get(i))) {
                    out.add(utf8[i]);
                }
            }
            return out;
        }
    }

    /** Every strongly connected component of more than one package (Tarjan), each sorted, in order. */
    static List<List<String>> cycles(Map<String, Set<String>> deps) {
        List<List<String>> out = new ArrayList<>();
        Map<String, Integer> index = new TreeMap<>();
        Map<String, Integer> low = new TreeMap<>();
        List<String> stack = new ArrayList<>();
        Set<String> onStack = new TreeSet<>();
        for (String v : deps.keySet()) {
            if (!index.containsKey(v)) {
                connect(v, deps, index, low, stack, onStack, out);
            }
        }
        out.sort((a, b) -> a.get(0).compareTo(b.get(0)));
        return out;
    }

    private static void connect(
            String v,
            Map<String, Set<String>> deps,
            Map<String, Integer> index,
            Map<String, Integer> low,
            List<String> stack,
            Set<String> onStack,
            List<List<String>> out) {
        index.put(v, index.size());
        low.put(v, index.get(v));
        stack.add(v);
        onStack.add(v);
        for (String w : deps.getOrDefault(v, Set.of())) {
            if (!index.containsKey(w)) {
                connect(w, deps, index, low, stack, onStack, out);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            List<String> component = new ArrayList<>();
            String w;
            do {
                w = stack.remove(stack.size() - 1);
                onStack.remove(w);
                component.add(w);
            } while (!w.equals(v));
            if (component.size() > 1) {
                component.sort(null);
                out.add(component);
            }
        }
    }
}

package dev.quant4j.benchmarks.agent;

import dev.quant4j.testkit.ChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Start-up cost of the agent for an application of a few hundred classes: generates {@code classes} classes
 * (every 10th with plain float[] fields, every 50th with a @Quantize field and its readers), compiles them, then
 * starts the application {@code runs} times without and with the agent, alternating, and prints the medians.
 * The application prints the agent's own account (time in the transformer, classes looked at).
 *
 * <p>Usage: {@code StartupCostBenchmark AGENT_JAR [classes=300] [runs=15]} (measures a 1-class and a
 * {@code classes}-class application), or in two steps for a machine without javac:
 * {@code generate DIR [classes]} then {@code run AGENT_JAR DIR [runs]}. The class path must hold the runtime.
 */
public final class StartupCostBenchmark {
    private StartupCostBenchmark() {}

    public static void main(String[] args) throws Exception {
        if (args.length >= 2 && args[0].equals("generate")) {
            // generate OUT_DIR [classes]: compile the application only (for a machine without javac).
            generateAndCompile(
                    Path.of(args[1]).resolve("src"),
                    Path.of(args[1]).resolve("classes"),
                    args.length > 2 ? Integer.parseInt(args[2]) : 300);
            return;
        }
        if (args.length >= 3 && args[0].equals("run")) {
            // run AGENT_JAR APP_DIR [runs]: measure an application generated before.
            measure(args[1], Path.of(args[2]).resolve("classes"), args.length > 3 ? Integer.parseInt(args[3]) : 15);
            return;
        }
        String agent = args[0];
        int classes = args.length > 1 ? Integer.parseInt(args[1]) : 300;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 15;
        for (int n : new int[] {1, classes}) {
            Path dir = Files.createTempDirectory("quant4j-startup");
            generateAndCompile(dir.resolve("src"), dir.resolve("classes"), n);
            measure(agent, dir.resolve("classes"), runs);
        }
    }

    private static void measure(String agent, Path classesDir, int runs) throws Exception {
        String cp = classesDir + java.io.File.pathSeparator + System.getProperty("java.class.path");
        List<String> plain = List.of("-Xshare:auto");
        List<String> withAgent = List.of("-Xshare:auto", "-javaagent:" + agent);
        long[] without = new long[runs];
        long[] with = new long[runs];
        double[] cpuWithout = new double[runs];
        double[] cpuWith = new double[runs];
        String lastReport = "";
        for (int r = 0; r < runs + 2; r++) {
            long t0 = System.nanoTime();
            ChildJvm.Result a = ChildJvm.run(plain, cp, "app.Main", List.of(), 120);
            long t1 = System.nanoTime();
            ChildJvm.Result b = ChildJvm.run(withAgent, cp, "app.Main", List.of(), 120);
            long t2 = System.nanoTime();
            if (a.exitCode() != 0 || b.exitCode() != 0) {
                throw new IllegalStateException(a.describe() + "\n" + b.describe());
            }
            if (r >= 2) { // the first two runs warm the file cache
                without[r - 2] = t1 - t0;
                with[r - 2] = t2 - t1;
                cpuWithout[r - 2] = cpuMillis(a.stdout());
                cpuWith[r - 2] = cpuMillis(b.stdout());
            }
            lastReport = b.stdout().strip();
        }
        Arrays.sort(without);
        Arrays.sort(with);
        Arrays.sort(cpuWithout);
        Arrays.sort(cpuWith);
        System.out.printf(
                Locale.ROOT,
                "application: %s, %d runs each, %d cores%n",
                classesDir,
                runs,
                Runtime.getRuntime().availableProcessors());
        printRuns("without agent:", without, cpuWithout);
        printRuns("with agent:   ", with, cpuWith);
        System.out.printf(
                Locale.ROOT,
                "  difference of medians: wall %.1f ms, CPU %.1f ms%n",
                ms(with[runs / 2] - without[runs / 2]),
                cpuWith[runs / 2] - cpuWithout[runs / 2]);
        System.out.println("  agent's own account (last run): " + lastReport.replace("\n", " "));
    }

    private static double cpuMillis(String stdout) {
        for (String line : stdout.lines().toList()) {
            int i = line.indexOf("cpuMs=");
            if (i >= 0) {
                String rest = line.substring(i + 6).strip();
                int space = rest.indexOf(' ');
                return Double.parseDouble(space < 0 ? rest : rest.substring(0, space));
            }
        }
        return Double.NaN;
    }

    /** One line for sorted wall times and process CPU times of one kind of run. */
    private static void printRuns(String label, long[] wall, double[] cpu) {
        int n = wall.length;
        System.out.printf(
                Locale.ROOT,
                "  wall %s median %.1f ms (min %.1f, max %.1f); process CPU median %.1f ms%n",
                label,
                ms(wall[n / 2]),
                ms(wall[0]),
                ms(wall[n - 1]),
                cpu[n / 2]);
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    static void generateAndCompile(Path src, Path out, int classes) throws IOException {
        Path pkg = src.resolve("app");
        Files.createDirectories(pkg);
        Files.createDirectories(out);
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < classes; i++) {
            files.add(write(pkg, "C" + i, classSource(i)));
        }
        StringBuilder main = new StringBuilder("package app;\npublic final class Main {\n  public static void main("
                + "String[] a) {\n    long s = 0;\n");
        for (int i = 0; i < classes; i++) {
            main.append("    s += new C").append(i).append("(").append(i).append(").run();\n");
        }
        main.append("    java.util.Map<String, Object> st = dev.quant4j.fields.QuantizedFields.status();\n")
                .append("    System.out.println(\"checksum=\" + s + \" agentActive=\" + st.get(\"agentActive\")"
                        + " + \" classesSeen=\" + st.get(\"classesSeen\") + \" classesParsed=\" + st.get(\"classesParsed\")"
                        + " + \" rewritten=\" + (st.get(\"rewrittenClasses\") instanceof java.util.Map<?, ?> m ? m.size() : 0)"
                        + " + \" transformMillis=\" + st.get(\"transformMillis\"));\n")
                .append(
                        "    System.out.println(\"cpuMs=\" + ((com.sun.management.OperatingSystemMXBean) java.lang.management"
                                + ".ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e6);\n  }\n}\n");
        files.add(write(pkg, "Main", main.toString()));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        List<String> options = new ArrayList<>(
                List.of("-d", out.toString(), "-cp", System.getProperty("java.class.path"), "-proc:none", "-nowarn"));
        for (Path f : files) {
            options.add(f.toString());
        }
        int rc = javac.run(null, null, null, options.toArray(String[]::new));
        if (rc != 0) {
            throw new IllegalStateException("javac failed on the generated application (" + rc + ")");
        }
    }

    private static Path write(Path pkg, String name, String source) throws IOException {
        Path f = pkg.resolve(name + ".java");
        Files.writeString(f, source);
        return f;
    }

    /** An ordinary class: fields, collections, strings, a call into the next class; some hold weights. */
    private static String classSource(int i) {
        boolean floats = i % 10 == 0;
        boolean quantized = i % 50 == 0;
        StringBuilder s = new StringBuilder("package app;\nimport java.util.*;\n");
        s.append("public class C").append(i).append(" {\n");
        s.append(
                "  private final int id;\n  private final String name;\n  private final List<String> items = new ArrayList<>();\n");
        s.append("  private final Map<String, Integer> counts = new HashMap<>();\n");
        if (floats) {
            s.append("  public float[] buffer = new float[16];\n  public float[][] table = new float[4][4];\n");
        }
        if (quantized) {
            s.append("  @dev.quant4j.annotations.Quantize public float[] weights = new float[64];\n");
        }
        s.append("  public C").append(i).append("(int id) { this.id = id; this.name = \"c\" + id; }\n");
        for (int m = 0; m < 8; m++) {
            s.append("  int m")
                    .append(m)
                    .append("(String x) {\n")
                    .append("    items.add(x + ")
                    .append(m)
                    .append(");\n")
                    .append("    counts.merge(x, ")
                    .append(m)
                    .append(", Integer::sum);\n")
                    .append("    return x.length() * ")
                    .append(m + 1)
                    .append(" + items.size();\n  }\n");
        }
        s.append("  public long run() {\n    long t = 0;\n");
        for (int m = 0; m < 8; m++) {
            s.append("    t += m").append(m).append("(name);\n");
        }
        if (floats) {
            s.append("    t += buffer.length + table[1].length;\n");
        }
        if (quantized) {
            s.append("    t += weights.length;\n");
        }
        s.append("    return t + id;\n  }\n}\n");
        return s.toString();
    }
}

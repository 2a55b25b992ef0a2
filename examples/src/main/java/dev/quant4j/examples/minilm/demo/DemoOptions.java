package dev.quant4j.examples.minilm.demo;

import dev.quant4j.annotations.ActivationMode;
import dev.quant4j.scheme.QuantScheme;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The demo's command line.
 *
 * @param schemes   the schemes to compare, f32 first (always there: it is the reference)
 * @param agentSchemes the schemes the agent mode runs (f32 first): all of {@code schemes} when they were given,
 *                  else {@link #DEFAULT_AGENT_SCHEMES}; rows with quantized activations and plans run in holder mode only
 * @param modes     which ways to run: {@code holder} (in this JVM), {@code agent} (a child JVM with the agent)
 * @param sentences how many sentences, or {@link Integer#MAX_VALUE} for all
 * @param threads   threads that embed sentences in parallel
 * @param json      print the results as JSON instead of the table
 * @param html      where to write the HTML report, or null
 * @param saveDir   where to save each quantized model, or null
 * @param load      a saved model to run instead of quantizing, or null
 * @param saveGguf  where to write the model as BERT GGUF files for llama.cpp (and our vectors), or null
 * @param progress  draw the progress bar: null for when stderr is a terminal
 * @param child     run as the agent-mode child of a demo (internal)
 * @param planCandidates the schemes a plan row chooses from, per field
 * @param planSentences how many of the calibration sentences the plan rows' sensitivity runs on
 * @param sensitivity print the sensitivity report of the plan rows on stderr
 */
record DemoOptions(
        List<String> schemes,
        List<String> agentSchemes,
        List<DemoMode> modes,
        int sentences,
        int threads,
        boolean json,
        Path html,
        Path saveDir,
        Path load,
        Path saveGguf,
        Boolean progress,
        boolean child,
        List<String> planCandidates,
        int planSentences,
        boolean sensitivity) {

    static final String F32 = "f32";
    /** Not one scheme: each field quantized with the scheme its {@code @Quantize} annotation names. */
    static final String ANNOTATED = "annotated";

    /** A row that quantizes each field with the scheme the planner chose for a budget: {@code plan4.5}. */
    static final String PLAN = "plan";

    /**
     * The suffix of an {@code imatrix} row whose importances are not recorded but built from the model's own
     * LayerNorm parameters (data-free, {@code LayerNormImportance}): {@code q4f:block32:f16:imatrix@layernorm}.
     */
    static final String LAYERNORM = "@layernorm";

    /**
     * The suffix of an {@code imatrix} or {@code gptq} row whose statistics are recorded on random token ids
     * (synthetic input, no text): {@code q4f:block32:f16:gptq@random}.
     */
    static final String RANDOM = "@random";

    /** The suffixes that say where a row's statistics come from, when not from the calibration sentences. */
    static final List<String> SOURCES = List.of(LAYERNORM, RANDOM);

    /** The schemes the demo compares unless told otherwise. */
    static final List<String> DEFAULT_SCHEMES = List.of(
            F32,
            "q8s:tensor",
            "q8s:block32",
            "q4f:block32:f16",
            "q4f:block32:f16:mse",
            "q4f:block32:f16:imatrix",
            "q4f:block32:f16:gptq",
            "q4f:block32:f16:gptq@random",
            "q4f:block32:f16:affine",
            "e4m3:tensor",
            "e2m1:block32:ue8m0",
            "q8s:block32:a8dyn",
            "q8s:block32:a8static:percentile",
            "q4f:block32:f16:a8dyn",
            "plan4.5",
            "plan5.0");
    /**
     * The schemes the agent mode runs unless schemes are given: enough to show that its vectors are the holder's bit
     * for bit (the reference and a 4-bit block scheme); the agent computes exactly what the holder does.
     */
    static final List<String> DEFAULT_AGENT_SCHEMES = List.of(F32, "q4f:block32:f16:u32");
    /** What a plan row chooses from for each field (docs/CALIBRATION.md, "Mixed precision"). */
    static final List<String> DEFAULT_PLAN_CANDIDATES =
            List.of("q4f:block64:f16:gptq", "q4f:block32:f16:gptq", "q8s:block32:f16");
    /** Calibration sentences the plan rows' sensitivity runs on (of the 70; spread evenly). */
    static final int DEFAULT_PLAN_SENTENCES = 16;
    /** Every shipped sentence (docs/DEMO.md gives the default run's time). */
    static final int DEFAULT_SENTENCES = Integer.MAX_VALUE;

    static final int DEFAULT_THREADS = 2;

    static final String USAGE = """
            Usage: ./quant4j demo [options]
              Quantizes all-MiniLM-L6-v2 with several schemes, runs the demo sentences through each and
              prints size, heap and quality against the float32 model, for both ways of holding weights:
              agent  (plain float[] fields, the Java agent keeps them quantized; run in a child JVM)
              holder (QuantizableTensor fields, no agent).
            Options:
              --sentences all|N   how many of the shipped sentences to embed (default all; N takes N of them
                                  spread evenly over the topics, for a quicker run)
              --schemes A,B,...   schemes in text form (default %s); f32 always runs
                                  first. A scheme with a8dyn (integer values only) also quantizes
                                  each token's activations to int8 at run time and multiplies integer
                                  codes (holder mode only). A scheme with a8static quantizes them with
                                  one scale per layer, calibrated first on 70 calibration sentences
                                  that are not measured. 'annotated' adds a row where each field takes the scheme its
                                  @Quantize names (4-bit embeddings, 8-bit layers). planB (e.g.
                                  plan4.5) adds a row whose fields take the schemes the planner
                                  chose for at most B bits per weight, from each field's measured
                                  sensitivity on calibration sentences (holder mode only). An imatrix
                                  or gptq scheme records its statistics on the calibration sentences;
                                  with @random after it (q4f:block32:f16:gptq@random) on 70 random
                                  token sequences instead (no text), with @layernorm it takes them
                                  from the model's LayerNorm parameters (no input at all)
              --plan-candidates A,B,...   the schemes a plan chooses from (default %s)
              --plan-sentences N  calibration sentences the sensitivity runs on (default %d of 70)
              --sensitivity       print the sensitivity report (each field, each candidate) on stderr
              --mode both|holder|agent   (default both; without --schemes the agent mode runs
                                  %s)
              --threads N         threads embedding sentences (default %d)
              --json              print the results as one JSON array instead of the table
              --out FILE.html     also write an HTML report with a chart of quality against size
              --save DIR          save each quantized model as DIR/<scheme>.safetensors (plus the float32
                                  reference vectors, DIR/f32-reference.safetensors)
              --load FILE         run a saved model instead of quantizing (its float32 weights are never
                                  built), on the sentences saved with it, against their float32 vectors
              --save-gguf DIR     only write the model as BERT GGUF files llama.cpp runs, DIR/f32.gguf,
                                  DIR/q8_0.gguf, DIR/q4_0.gguf, DIR/q4_k.gguf, DIR/q4_k_m.gguf, with our
                                  vectors of the sentences for each in DIR/vectors.json
                                  (benchmarks/llama-cpp-embeddings.sh compares)
              --progress / --no-progress   force the progress bar on stderr on or off
              --help
            """.formatted(
                    String.join(",", DEFAULT_SCHEMES),
                    String.join(",", DEFAULT_PLAN_CANDIDATES),
                    DEFAULT_PLAN_SENTENCES,
                    String.join(",", DEFAULT_AGENT_SCHEMES),
                    DEFAULT_THREADS);

    /**
     * Reads the arguments.
     *
     * @throws IllegalArgumentException with a message for the user naming the bad argument and the fix
     */
    static DemoOptions parse(String[] args) {
        List<String> schemes = schemes(String.join(",", DEFAULT_SCHEMES));
        List<DemoMode> modes = List.of(DemoMode.values());
        int sentences = DEFAULT_SENTENCES;
        int threads = DEFAULT_THREADS;
        boolean json = false;
        Path html = null;
        Path save = null;
        Path load = null;
        Path saveGguf = null;
        Boolean progress = null;
        boolean child = false;
        boolean schemesGiven = false;
        List<String> planCandidates = DEFAULT_PLAN_CANDIDATES.stream()
                .map(t -> QuantScheme.parse(t).toString())
                .toList();
        int planSentences = DEFAULT_PLAN_SENTENCES;
        boolean sensitivity = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--json" -> json = true;
                case "--progress" -> progress = true;
                case "--no-progress" -> progress = false;
                case "--child" -> child = true;
                case "--sentences" -> {
                    String v = value(args, ++i, a);
                    sentences = v.equalsIgnoreCase("all") ? Integer.MAX_VALUE : positive(v, a);
                }
                case "--threads" -> threads = positive(value(args, ++i, a), a);
                case "--schemes" -> {
                    schemes = schemes(value(args, ++i, a));
                    schemesGiven = true;
                }
                case "--plan-candidates" -> planCandidates = candidates(value(args, ++i, a));
                case "--plan-sentences" -> planSentences = positive(value(args, ++i, a), a);
                case "--sensitivity" -> sensitivity = true;
                case "--mode" -> {
                    String v = value(args, ++i, a).toLowerCase(Locale.ROOT);
                    if (v.equals("both")) {
                        modes = List.of(DemoMode.values());
                    } else if (v.equals(DemoMode.HOLDER.text()) || v.equals(DemoMode.AGENT.text())) {
                        modes = List.of(DemoMode.named(v));
                    } else {
                        throw new IllegalArgumentException("--mode " + v + ": use both, holder or agent");
                    }
                }
                case "--out" -> html = Path.of(value(args, ++i, a));
                case "--save" -> save = Path.of(value(args, ++i, a));
                case "--load" -> load = Path.of(value(args, ++i, a));
                case "--save-gguf" -> saveGguf = Path.of(value(args, ++i, a));
                default -> throw new IllegalArgumentException("unknown argument '" + a + "'; see --help");
            }
        }
        if (save != null && load != null) {
            throw new IllegalArgumentException("--save and --load do not go together: --load runs a model saved"
                    + " before, --save writes new ones");
        }
        List<String> agentSchemes = new ArrayList<>();
        for (String t : schemes) {
            if ((schemesGiven || DEFAULT_AGENT_SCHEMES.contains(t))
                    && !isPlan(t)
                    && activationsOf(t) == ActivationMode.NONE) {
                agentSchemes.add(t);
            }
        }
        return new DemoOptions(
                schemes,
                List.copyOf(agentSchemes),
                modes,
                sentences,
                threads,
                json,
                html,
                save,
                load,
                saveGguf,
                progress,
                child,
                planCandidates,
                planSentences,
                sensitivity);
    }

    /** True for a plan row's name, {@code plan} and a budget in bits per weight. */
    static boolean isPlan(String entry) {
        return entry.startsWith(PLAN) && !entry.equals(PLAN);
    }

    /** True for a row with data-free importances from the LayerNorms ({@link #LAYERNORM}). */
    static boolean isLayerNormRow(String entry) {
        return entry.endsWith(LAYERNORM);
    }

    /** The row's {@link #SOURCES} suffix, or the empty string. */
    static String sourceOf(String entry) {
        for (String s : SOURCES) {
            if (entry.toLowerCase(Locale.ROOT).endsWith(s)) {
                return s;
            }
        }
        return "";
    }

    /** A row's scheme in text form, without its {@link #SOURCES} suffix. */
    static String schemeText(String entry) {
        return entry.substring(0, entry.length() - sourceOf(entry).length());
    }

    /** A plan row's budget in bits per weight. */
    static double planBudget(String entry) {
        return Double.parseDouble(entry.substring(PLAN.length()));
    }

    static boolean wantsHelp(String[] args) {
        for (String a : args) {
            if (a.equals("--help") || a.equals("-h")) {
                return true;
            }
        }
        return false;
    }

    /** The arguments that make a child JVM do the same work in agent mode. */
    List<String> childArguments() {
        List<String> out = new ArrayList<>(List.of(
                "--child",
                "--mode",
                DemoMode.AGENT.text(),
                "--threads",
                Integer.toString(threads),
                "--sentences",
                sentences == Integer.MAX_VALUE ? "all" : Integer.toString(sentences),
                "--schemes",
                String.join(",", agentSchemes)));
        if (load != null) {
            out.addAll(List.of("--load", load.toString()));
        }
        if (progress != null) {
            out.add(progress ? "--progress" : "--no-progress");
        }
        return out;
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value; see --help");
        }
        return args[i];
    }

    private static int positive(String v, String option) {
        try {
            int n = Integer.parseInt(v);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(option + " " + v + ": give a positive whole number"
                + (option.equals("--sentences") ? " or 'all'" : ""));
    }

    /** How a demo entry's linear layers take their activations: its scheme's, NONE for f32 and annotated. */
    static ActivationMode activationsOf(String entry) {
        return entry.equals(F32) || entry.equals(ANNOTATED) || isPlan(entry)
                ? ActivationMode.NONE
                : QuantScheme.parse(schemeText(entry)).activations();
    }

    /** Parses the plan candidates: valid weight schemes without activations, canonical text. */
    private static List<String> candidates(String list) {
        List<String> out = new ArrayList<>();
        for (String t : schemes(list)) {
            if (t.equals(F32) || t.equals(ANNOTATED) || isPlan(t) || activationsOf(t) != ActivationMode.NONE) {
                if (!t.equals(F32)) {
                    throw new IllegalArgumentException("--plan-candidates: '" + t + "' is not a weight scheme; give"
                            + " schemes such as q4f:block32:f16:gptq,q8s:block32:f16");
                }
                continue;
            }
            out.add(t);
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(
                    "--plan-candidates: give at least one scheme, e.g. q4f:block32:f16:gptq");
        }
        return List.copyOf(out);
    }

    /** Parses and canonicalises a scheme list; f32 goes first whether named or not. */
    private static List<String> schemes(String list) {
        Set<String> out = new LinkedHashSet<>();
        out.add(F32);
        for (String s : list.split(",")) {
            String t = s.strip();
            if (t.isEmpty() || t.equalsIgnoreCase(F32)) {
                continue;
            }
            if (t.equalsIgnoreCase(ANNOTATED)) {
                out.add(ANNOTATED);
                continue;
            }
            if (t.toLowerCase(Locale.ROOT).startsWith(PLAN)) {
                double bpw;
                try {
                    bpw = Double.parseDouble(t.substring(PLAN.length()));
                } catch (NumberFormatException e) {
                    bpw = Double.NaN;
                }
                if (!(bpw > 0 && bpw <= 32)) {
                    throw new IllegalArgumentException("--schemes: '" + t + "' is not a plan: write plan and a budget"
                            + " in bits per weight, e.g. plan4.5");
                }
                out.add(PLAN + bpw);
                continue;
            }
            String source = sourceOf(t);
            t = schemeText(t);
            QuantScheme scheme;
            try {
                scheme = QuantScheme.parse(t).validate();
            } catch (IllegalArgumentException e) { // SchemeParseException, InvalidSchemeException
                throw new IllegalArgumentException("--schemes: '" + t + "' is not a valid scheme: " + e.getMessage()
                        + " (the text form is VALUE:LEVEL:PARAM:STORE, e.g. q4f:block32:f16:u32)");
            }
            if (!source.isEmpty()
                    && scheme.calibration() != dev.quant4j.annotations.Calibration.IMATRIX
                    && scheme.calibration() != dev.quant4j.annotations.Calibration.GPTQ) {
                throw new IllegalArgumentException("--schemes: '" + t + source + "': " + source + " says where the"
                        + " statistics of imatrix or gptq come from; write it after such a scheme, e.g."
                        + " q4f:block32:f16:imatrix" + source);
            }
            out.add(scheme + source);
        }
        return List.copyOf(out);
    }
}

package dev.quant4j.io.gguf;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which ggml type each tensor of a model gets under a K-quant recipe, as llama.cpp's
 * {@code llama-quantize} chooses (without an importance matrix):
 * <ul>
 * <li>{@code q4_k}, {@code q6_k}: every weight matrix in that type;</li>
 * <li>{@code q4_k_m} (llama.cpp's Q4_K_M): Q4_K, except Q6_K for the output matrix (or the token
 *     embedding when there is no output matrix; Q8_0 when its rows are not a multiple of 256), for the
 *     attention value matrices and for the FFN down matrices at the positions llama.cpp's
 *     {@code use_more_bits(i, n)} picks: {@code i < n / 8 || i >= 7 n / 8 || (i - n / 8) % 3 == 2}, i
 *     counting those matrices in file order.</li>
 * </ul>
 * What is quantized: tensors of at least 2 dimensions, except position and token-type embeddings
 * (llama.cpp keeps those, and every 1-D tensor, as they are). A row length ({@code ne[0]}) that is not a
 * multiple of 256 falls back as llama.cpp does: Q4_K to Q5_0, Q6_K to Q8_0; rows that are not a multiple
 * of 32 either stay float32 (llama.cpp writes F16 there).
 *
 * <p>Names: llama.cpp's ({@code output.weight}, {@code token_embd.weight}, {@code blk.N.attn_v.weight},
 * {@code blk.N.ffn_down.weight}) and Hugging Face's ({@code lm_head.weight}, {@code embed_tokens},
 * {@code v_proj}, {@code down_proj}).
 */
public enum GgmlRecipe {
    Q4_K(GgmlType.Q4_K),
    Q6_K(GgmlType.Q6_K),
    Q4_K_M(GgmlType.Q4_K);

    private final GgmlType base;

    GgmlRecipe(GgmlType base) {
        this.base = base;
    }

    /** The recipe with this name ({@code q4_k}, {@code q6_k}, {@code q4_k_m}, any case), or null. */
    public static GgmlRecipe named(String text) {
        String t = text.strip().toUpperCase(Locale.ROOT);
        for (GgmlRecipe r : values()) {
            if (r.name().equals(t)) {
                return r;
            }
        }
        return null;
    }

    /** The recipe's name as llama.cpp writes it: {@code q4_k_m}. */
    public String ggmlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The names of the recipes, for messages. */
    public static String names() {
        return "q4_k, q6_k, q4_k_m";
    }

    /** A tensor's name and shape (ours: last dimension innermost, ggml's {@code ne[0]}). */
    public record Entry(String name, long[] shape) {
        public Entry {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    /**
     * The ggml type of each tensor (in the given order), or null for a tensor left as it is.
     */
    public Map<String, GgmlType> plan(List<Entry> tensors) {
        boolean hasOutput = tensors.stream().anyMatch(e -> isOutput(e.name()));
        int nAttnV = 0;
        int nFfnDown = 0;
        for (Entry e : tensors) {
            if (quantized(e)) {
                nAttnV += isAttnV(e.name()) ? 1 : 0;
                nFfnDown += isFfnDown(e.name()) ? 1 : 0;
            }
        }
        Map<String, GgmlType> out = new LinkedHashMap<>();
        int iAttnV = 0;
        int iFfnDown = 0;
        for (Entry e : tensors) {
            if (!quantized(e)) {
                out.put(e.name(), null);
                continue;
            }
            long[] shape = e.shape();
            long ne0 = shape[shape.length - 1];
            GgmlType type = base;
            String name = e.name();
            boolean output = isOutput(name) || !hasOutput && isTokenEmbedding(name);
            if (this == Q4_K_M) {
                if (output) {
                    type = ne0 % 256 != 0 ? GgmlType.Q8_0 : GgmlType.Q6_K;
                } else if (isAttnV(name)) {
                    type = useMoreBits(iAttnV++, nAttnV) ? GgmlType.Q6_K : type;
                } else if (isFfnDown(name)) {
                    type = useMoreBits(iFfnDown++, nFfnDown) ? GgmlType.Q6_K : type;
                }
            }
            out.put(name, fallback(type, ne0));
        }
        return out;
    }

    /** The type a row of {@code ne0} elements takes instead of {@code type}, as llama.cpp falls back; null: float. */
    static GgmlType fallback(GgmlType type, long ne0) {
        if (ne0 % type.blockSize() == 0) {
            return type;
        }
        GgmlType t = switch (type) {
            case Q4_K -> GgmlType.Q5_0;
            case Q6_K -> GgmlType.Q8_0;
            default -> type;
        };
        return ne0 % t.blockSize() == 0 ? t : null;
    }

    /** llama.cpp's {@code use_more_bits}. */
    static boolean useMoreBits(int i, int n) {
        return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
    }

    private static boolean quantized(Entry e) {
        String n = e.name();
        return e.shape.length >= 2
                && !n.contains("position_embd")
                && !n.contains("token_types")
                && !n.contains("position_embeddings")
                && !n.contains("token_type_embeddings");
    }

    private static boolean isOutput(String n) {
        return n.equals("output.weight") || n.equals("lm_head.weight") || n.endsWith(".lm_head.weight");
    }

    private static boolean isTokenEmbedding(String n) {
        return n.equals("token_embd.weight")
                || n.endsWith("embed_tokens.weight")
                || n.endsWith("word_embeddings.weight");
    }

    private static boolean isAttnV(String n) {
        return n.contains("attn_v.weight") || n.contains("v_proj.weight");
    }

    private static boolean isFfnDown(String n) {
        return n.contains("ffn_down") || n.contains("down_proj");
    }

    /** The plan's types counted, for a summary: {@code q4_k 12, q6_k 6, q8_0 1}. */
    public static String summary(Map<String, GgmlType> plan) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (GgmlType t : plan.values()) {
            counts.merge(t == null ? "as is" : t.ggmlName(), 1, Integer::sum);
        }
        List<String> parts = new ArrayList<>();
        counts.forEach((k, v) -> parts.add(k + " " + v));
        return String.join(", ", parts);
    }
}

package dev.quant4j.examples.minilm.demo;

import dev.quant4j.examples.minilm.MiniLmConfig;
import dev.quant4j.examples.minilm.text.WordPieceTokenizer;
import dev.quant4j.io.gguf.GgmlType;
import dev.quant4j.io.gguf.GgufValue;
import dev.quant4j.io.gguf.GgufWriter;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A MiniLM state (field path to tensor, as {@code Quantization.exportState} gives it) as a complete
 * BERT GGUF that llama.cpp loads and runs: the architecture keys of its BERT loader (as UINT32, FLOAT32
 * and BOOL, the types it checks), mean pooling, the WordPiece vocabulary in llama.cpp's form (word
 * starts marked with U+2581 and "##" continuations bare, control tokens as they are) with token types,
 * and the tensor names of llama.cpp's BERT ({@code token_embd}, {@code blk.N.attn_q}, ...).
 *
 * <p>Quantized matrices go in as their ggml twins, bit for bit (they must have one; see
 * {@code GgmlBlocks}). The small position and token-type tables go in as F32 holding exactly the floats
 * of their quantized form, since llama.cpp adds the token-type row with an add that wants float.
 */
final class BertGguf {
    /** llama.cpp's LLAMA_POOLING_TYPE_MEAN. */
    private static final int POOLING_MEAN = 1;
    /** gguf-py's TokenType values. */
    private static final int NORMAL = 1;

    private static final int CONTROL = 3;

    private BertGguf() {}

    static void write(Path file, Map<String, Object> state, MiniLmConfig c, WordPieceTokenizer tokenizer, String name)
            throws IOException {
        write(file, state, c, tokenizer, name, null);
    }

    /** A state tensor's field path, its GGUF name, and whether it goes in as F32 whatever its form. */
    record Placement(String field, String gguf, boolean asFloat) {}

    /** Where each tensor of a MiniLM state goes in llama.cpp's BERT, in file order. */
    static List<Placement> layout(MiniLmConfig c) {
        List<Placement> out = new ArrayList<>();
        out.add(new Placement("embeddings.wordEmbeddings", "token_embd.weight", false));
        out.add(new Placement("embeddings.tokenTypeEmbeddings", "token_types.weight", true));
        out.add(new Placement("embeddings.positionEmbeddings", "position_embd.weight", true));
        out.add(new Placement("embeddings.layerNorm.weight", "token_embd_norm.weight", true));
        out.add(new Placement("embeddings.layerNorm.bias", "token_embd_norm.bias", true));
        for (int l = 0; l < c.layers(); l++) {
            String f = "layers[" + l + "].";
            String b = "blk." + l + ".";
            for (String[] p : new String[][] {
                {"query", "attn_q"},
                {"key", "attn_k"},
                {"value", "attn_v"},
                {"attentionOutput", "attn_output"},
                {"intermediate", "ffn_up"},
                {"output", "ffn_down"}
            }) {
                out.add(new Placement(f + p[0] + "Weight", b + p[1] + ".weight", false));
                out.add(new Placement(f + p[0] + "Bias", b + p[1] + ".bias", true));
            }
            for (String[] p :
                    new String[][] {{"attentionLayerNorm", "attn_output_norm"}, {"outputLayerNorm", "layer_output_norm"}
                    }) {
                out.add(new Placement(f + p[0] + ".weight", b + p[1] + ".weight", true));
                out.add(new Placement(f + p[0] + ".bias", b + p[1] + ".bias", true));
            }
        }
        return out;
    }

    /**
     * As {@link #write(Path, Map, MiniLmConfig, WordPieceTokenizer, String)}, with the float32 matrices
     * that {@code plan} (GGUF name to ggml type, e.g. from {@code GgmlRecipe.plan}) names quantized by
     * ggml's own quantizer for that type ({@code GgmlQuants}); null: none.
     */
    static void write(
            Path file,
            Map<String, Object> state,
            MiniLmConfig c,
            WordPieceTokenizer tokenizer,
            String name,
            Map<String, GgmlType> plan)
            throws IOException {
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        kv.put("general.architecture", GgufValue.string("bert"));
        kv.put("general.name", GgufValue.string(name));
        kv.put("bert.context_length", GgufValue.uint32(c.maxPositions()));
        kv.put("bert.embedding_length", GgufValue.uint32(c.hidden()));
        kv.put("bert.feed_forward_length", GgufValue.uint32(c.intermediateSize()));
        kv.put("bert.block_count", GgufValue.uint32(c.layers()));
        kv.put("bert.attention.head_count", GgufValue.uint32(c.heads()));
        kv.put("bert.attention.layer_norm_epsilon", GgufValue.float32(MiniLmConfig.LAYER_NORM_EPS));
        kv.put("bert.attention.causal", GgufValue.bool(false));
        kv.put("bert.pooling_type", GgufValue.uint32(POOLING_MEAN));
        vocabulary(kv, tokenizer, c.typeVocabSize());

        List<GgufWriter.Tensor> tensors = new ArrayList<>();
        Set<String> used = new HashSet<>();
        for (Placement p : layout(c)) {
            add(tensors, used, state, p, plan == null ? null : plan.get(p.gguf()));
        }
        Set<String> left = new HashSet<>(state.keySet());
        left.removeAll(used);
        if (!left.isEmpty()) {
            throw new IllegalArgumentException("the state has tensors with no place in a BERT GGUF: " + left);
        }
        GgufWriter.write(file, kv, tensors);
    }

    /** tokenizer.ggml.*: llama.cpp's WordPiece ("bert") vocabulary, as its converter writes it. */
    private static void vocabulary(Map<String, GgufValue> kv, WordPieceTokenizer tokenizer, int typeVocab) {
        int n = tokenizer.vocabSize();
        int[] all = new int[n];
        for (int i = 0; i < n; i++) {
            all[i] = i;
        }
        List<String> tokens = tokenizer.tokens(all);
        Set<String> specials = new HashSet<>(tokenizer.specialTokens());
        List<String> pieces = new ArrayList<>(n);
        long[] types = new long[n];
        for (int i = 0; i < n; i++) {
            String t = tokens.get(i);
            boolean control = specials.contains(t);
            types[i] = control ? CONTROL : NORMAL;
            pieces.add(control ? t : t.startsWith("##") ? t.substring(2) : "\u2581" + t);
        }
        kv.put("tokenizer.ggml.model", GgufValue.string("bert"));
        kv.put("tokenizer.ggml.pre", GgufValue.string("default"));
        kv.put("tokenizer.ggml.tokens", GgufValue.strings(pieces));
        kv.put("tokenizer.ggml.token_type", GgufValue.integers(GgufValue.Type.INT32, types));
        kv.put("tokenizer.ggml.token_type_count", GgufValue.uint32(typeVocab));
        specialId(kv, "tokenizer.ggml.bos_token_id", tokens, "[CLS]");
        specialId(kv, "tokenizer.ggml.seperator_token_id", tokens, "[SEP]");
        specialId(kv, "tokenizer.ggml.unknown_token_id", tokens, "[UNK]");
        specialId(kv, "tokenizer.ggml.padding_token_id", tokens, "[PAD]");
        specialId(kv, "tokenizer.ggml.mask_token_id", tokens, "[MASK]");
    }

    private static void specialId(Map<String, GgufValue> kv, String key, List<String> tokens, String token) {
        int id = tokens.indexOf(token);
        if (id < 0) {
            throw new IllegalArgumentException("the vocabulary has no " + token + " token");
        }
        kv.put(key, GgufValue.uint32(id));
    }

    private static void add(
            List<GgufWriter.Tensor> out, Set<String> used, Map<String, Object> state, Placement p, GgmlType ggml) {
        Object t = state.get(p.field());
        String name = p.gguf();
        if (t == null) {
            throw new IllegalArgumentException("the state has no tensor '" + p.field() + "' for " + name);
        }
        used.add(p.field());
        out.add(
                switch (t) {
                    case QuantizedTensor q
                    when p.asFloat() -> GgufWriter.Tensor.floats(name, q.dequantize(), GgmlType.F32);
                    case QuantizedTensor q -> GgufWriter.Tensor.quantized(name, q);
                    case FloatTensor f when ggml != null -> GgufWriter.Tensor.quantize(name, f.shape(), ggml, f::data);
                    case FloatTensor f -> GgufWriter.Tensor.floats(name, f, GgmlType.F32);
                    default ->
                        throw new IllegalArgumentException("tensor '" + p.field() + "' is a "
                                + t.getClass().getName());
                });
    }
}

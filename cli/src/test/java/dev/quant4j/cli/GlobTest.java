package dev.quant4j.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GlobTest {
    private static void check(String glob, String name, boolean expected) {
        assertEquals(expected, Glob.of(glob).matches(name), glob + " vs " + name);
    }

    @Test
    void starCrossesDotsAndSlashes() {
        check("*embed*", "model.embed_tokens.weight", true);
        check("*embed*", "lm_head.weight", false);
        check("model.*.weight", "model.layers.0.mlp/up.weight", true);
        check("*.bias", "a.bias.x", false);
        check("*", "", true);
    }

    @Test
    void questionMarksSetsAndAlternatives() {
        check("layers.?.w", "layers.3.w", true);
        check("layers.?.w", "layers.12.w", false);
        check("layers.[0-3].w", "layers.2.w", true);
        check("layers.[0-3].w", "layers.4.w", false);
        check("layers.[!0-3].w", "layers.4.w", true);
        check("*.{q,k,v}_proj.*", "model.layers.0.self_attn.k_proj.weight", true);
        check("*.{q,k,v}_proj.*", "model.layers.0.self_attn.o_proj.weight", false);
        check("[ad].x", "d.x", true);
        check("[ad].x", "\\d.x", false);
    }

    @Test
    void regexCharactersMeanThemselves() {
        check("a+b(c)$", "a+b(c)$", true);
        check("a+b", "aab", false);
        check("x\\*y", "x*y", true);
        check("x\\*y", "xzy", false);
        check("[.]w", ".w", true);
        check("[.]w", "aw", false);
        check("a,b", "a,b", true);
    }

    @Test
    void malformedGlobsAreRejectedWithTheReason() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Glob.of("layers.[0-3")).getMessage()
                .contains("without a closing ']'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Glob.of("{a,b")).getMessage()
                .contains("without a closing '}'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Glob.of("a}")).getMessage()
                .contains("without a '{'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Glob.of("a\\")).getMessage()
                .contains("lone '\\'"));
    }
}

package dev.quant4j.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.annotations.QuantLevel;
import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantStore;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.scheme.SchemeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The text form of a scheme: {@code toString} is canonical (all four parts, fixed order, lower case,
 * leading block 1s dropped), {@code parse} reads it back to an equal scheme, accepts the parts in any
 * order and case with the defaults filled in, and rejects duplicates and unknown parts naming them.
 */
class SchemeTextPropertiesTest {
    private static final long SEED = 0x5C4E3EL;
    private static final Pattern CANONICAL =
            Pattern.compile("(q8f|q8s|q4f|q4s|q2f|q2s|e4m3|e5m2|e2m1):(tensor|block[1-9][0-9]*(x[1-9][0-9]*){0,4})"
                    + ":(f32|f16|bf16|ue8m0):(u32|native)");

    private static int extent(SplittableRandom r) {
        int p = r.nextInt(6);
        return p == 0 ? 1 : p == 1 ? 32 : p == 2 ? 2 : 1 + r.nextInt(p == 3 ? 9 : 4096);
    }

    private static QuantScheme randomScheme(SplittableRandom r, List<Integer> givenBlock) {
        QuantScheme s = QuantScheme.DEFAULT
                .withValue(QuantValue.values()[r.nextInt(QuantValue.values().length)])
                .withParam(QuantParam.values()[r.nextInt(4)])
                .withStore(QuantStore.values()[r.nextInt(2)]);
        if (r.nextInt(4) > 0) {
            int k = 1 + r.nextInt(5);
            int[] b = new int[k];
            for (int i = 0; i < k; i++) {
                b[i] = extent(r);
                givenBlock.add(b[i]);
            }
            s = s.withBlockSize(b);
        }
        return s;
    }

    @Test
    void canonicalFormRoundTripsAndAnyOrderParsesTheSame() {
        SplittableRandom r = new SplittableRandom(SEED);
        Random shuffler = new Random(SEED);
        int cases = 10_000;
        for (int c = 0; c < cases; c++) {
            List<Integer> given = new ArrayList<>();
            QuantScheme s = randomScheme(r, given);
            String text = s.toString();
            String at = text + " (seed " + SEED + " case " + c + ")";
            assertTrue(CANONICAL.matcher(text).matches(), "not canonical: " + at);
            QuantScheme back = QuantScheme.parse(text);
            assertEquals(s, back, at);
            assertEquals(s.hashCode(), back.hashCode(), at);
            assertEquals(text, back.toString(), at);

            // Leading 1s of the given block are dropped (at least one extent stays).
            if (s.level() == QuantLevel.BLOCK) {
                int first = 0;
                while (first < given.size() - 1 && given.get(first) == 1) {
                    first++;
                }
                StringBuilder want = new StringBuilder("block");
                for (int i = first; i < given.size(); i++) {
                    want.append(i > first ? "x" : "").append(given.get(i));
                }
                assertEquals(want.toString(), s.levelToken(), at);
            }

            // Any order, any case, defaults left out or written, spaces around parts.
            String[] parts = text.split(":");
            List<String> shuffled = new ArrayList<>();
            shuffled.add(parts[0]);
            for (int i = 1; i < 4; i++) {
                boolean isDefault = parts[i].equals("tensor") || parts[i].equals("f32") || parts[i].equals("u32");
                if (!isDefault || r.nextBoolean()) {
                    shuffled.add(parts[i]);
                }
            }
            if (s.level() == QuantLevel.BLOCK && r.nextBoolean()) {
                // The level written with extra leading 1s is the same scheme.
                int idx = shuffled.indexOf(parts[1]);
                shuffled.set(idx, "block1x" + parts[1].substring("block".length()));
            }
            Collections.shuffle(shuffled, shuffler);
            StringBuilder variant = new StringBuilder();
            for (int i = 0; i < shuffled.size(); i++) {
                String p = r.nextBoolean() ? shuffled.get(i).toUpperCase(Locale.ROOT) : shuffled.get(i);
                variant.append(i > 0 ? ":" : "").append(r.nextInt(4) == 0 ? " " + p + " " : p);
            }
            assertEquals(s, QuantScheme.parse(variant.toString()), "'" + variant + "' vs " + at);

            // A second part of the same kind is an error naming the kind.
            String extra = switch (r.nextInt(4)) {
                case 0 -> QuantValue.values()[r.nextInt(9)].token();
                case 1 -> r.nextBoolean() ? "tensor" : "block" + extent(r);
                case 2 -> QuantParam.values()[r.nextInt(4)].token();
                default -> r.nextBoolean() ? "u32" : "native";
            };
            String twice = text + ":" + extra;
            SchemeParseException e = assertThrows(SchemeParseException.class, () -> QuantScheme.parse(twice), twice);
            assertTrue(e.getMessage().contains("twice") && e.getMessage().contains(extra), e.getMessage());
        }
    }

    @Test
    void defaultsAndCanonicalExamples() {
        assertPrints("q8s:tensor:f32:u32", "q8s");
        assertEquals(QuantScheme.DEFAULT, QuantScheme.parse("q8s"));
        assertEquals(QuantScheme.parse("q4f:block32:f16:u32"), QuantScheme.parse("f16:block1x32:q4f"));
        assertEquals(
                QuantScheme.parse("q8s:block32"),
                QuantScheme.parse("q8s:block1x32"),
                "block1x32 and block32 are the same scheme"::toString);
        assertPrints("e4m3:block2x16:bf16:u32", "bf16:e4m3:block2x16");
        assertPrints("e2m1:block32:ue8m0:u32", "E2M1:UE8M0:BLOCK32");
        assertEquals("q4f:block2x1:f32:u32", QuantScheme.parse("q4f:block2x1").toString(), "only leading 1s go");
        // Parseable but invalid schemes print and round-trip; validation is separate.
        QuantScheme invalid = QuantScheme.parse("native:q4f");
        assertEquals("q4f:tensor:f32:native", invalid.toString());
        assertFalse(invalid.isValid());
        assertFalse(QuantScheme.parse("q8s:block0").isValid());
        assertFalse(QuantScheme.parse("q8s:block2x2x2x2x2x2").isValid(), "six extents");
        assertTrue(QuantScheme.parse("q8s:block1x2x2x2x2x2").isValid(), "leading 1 dropped: five extents");
    }

    @Test
    void unknownPartsAreErrorsNamingThePart() {
        String[] bad = {
            "q3f",
            "int8",
            "f64",
            "u16",
            "blocks",
            "block",
            "blockx32",
            "block32x",
            "block-1",
            "block2y3",
            "block1234567890",
            "per_tensor",
            "symmetric"
        };
        for (String part : bad) {
            String text = "q4f:" + part;
            SchemeParseException e = assertThrows(SchemeParseException.class, () -> QuantScheme.parse(text), text);
            assertTrue(e.getMessage().contains(part), text + ": " + e.getMessage());
        }
        for (String text : new String[] {"", "   ", "q4f::f16", ":q4f", "block32:f16", "f16"}) {
            assertThrows(SchemeParseException.class, () -> QuantScheme.parse(text), "'" + text + "'");
        }
        assertThrows(SchemeParseException.class, () -> QuantScheme.parse(null));
    }

    /** {@code text} parses to the scheme whose canonical text is {@code expected}. */
    private static void assertPrints(String expected, String text) {
        assertEquals(expected, QuantScheme.parse(text).toString());
    }
}

package dev.quant4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GlobTest {
    private static void check(String glob, String name, boolean expected) {
        assertEquals(expected, Glob.of(glob).matches(name), glob + " vs " + name);
    }

    @ParameterizedTest(name = "{0} vs {1}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
            *embed*        | model.embed_tokens.weight    | true
            *embed*        | lm_head.weight               | false
            model.*.weight | model.layers.0.mlp/up.weight | true
            *.bias         | a.bias.x                     | false
            *              | ''                           | true
            """)
    void starCrossesDotsAndSlashes(String glob, String name, boolean expected) {
        check(glob, name, expected);
    }

    @ParameterizedTest(name = "{0} vs {1}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
            layers.?.w       | layers.3.w                             | true
            layers.?.w       | layers.12.w                            | false
            layers.[0-3].w   | layers.2.w                             | true
            layers.[0-3].w   | layers.4.w                             | false
            layers.[!0-3].w  | layers.4.w                             | true
            *.{q,k,v}_proj.* | model.layers.0.self_attn.k_proj.weight | true
            *.{q,k,v}_proj.* | model.layers.0.self_attn.o_proj.weight | false
            [ad].x           | d.x                                    | true
            [ad].x           | \\d.x                                  | false
            """)
    void questionMarksSetsAndAlternatives(String glob, String name, boolean expected) {
        check(glob, name, expected);
    }

    @ParameterizedTest(name = "{0} vs {1}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
            a+b(c)$ | a+b(c)$ | true
            a+b     | aab     | false
            x\\*y    | x*y     | true
            x\\*y    | xzy     | false
            [.]w    | .w      | true
            [.]w    | aw      | false
            a,b     | a,b     | true
            """)
    void regexCharactersMeanThemselves(String glob, String name, boolean expected) {
        check(glob, name, expected);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            layers.[0-3  | without a closing ']'
            {a,b         | without a closing '}'
            a}           | without a '{'
            a\\           | lone '\\'
            """)
    void malformedGlobsAreRejectedWithTheReason(String glob, String reason) {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Glob.of(glob))
                .getMessage()
                .contains(reason));
    }

    @Test
    void aMegabyteNameIsMatchedInLinearTime() {
        // A backtracking regex (.*a.*a.*a.*a.*b) needs time polynomial in the length to fail on this name.
        String name = "a".repeat(1 << 20);
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            assertFalse(Glob.of("*a*a*a*a*b").matches(name));
            assertFalse(Glob.of("{*a,*a*a}*b").matches(name));
            assertTrue(Glob.of("*a*a*a*a*").matches(name));
            assertFalse(Glob.of("*[!a]*").matches(name));
        });
    }

    @Test
    void reversedRangesAreRejected() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Glob.of("[z-a]"))
                .getMessage()
                .contains("reversed"));
    }

    /** The glob as a java.util.regex pattern: fine as an oracle on short names, exponential on long ones. */
    private static Pattern oracle(String glob) {
        StringBuilder re = new StringBuilder();
        int braces = 0;
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                case '\\' -> re.append(Pattern.quote(String.valueOf(glob.charAt(++i))));
                case '[' -> {
                    int end = glob.indexOf(']', i + 2);
                    String set = glob.substring(i + 1, end);
                    boolean negate = set.startsWith("!");
                    re.append(negate ? "[^" : "[");
                    for (char m : (negate ? set.substring(1) : set).toCharArray()) {
                        re.append(m == '-' || Character.isLetterOrDigit(m) ? String.valueOf(m) : "\\" + m);
                    }
                    re.append(']');
                    i = end;
                }
                case '{' -> {
                    braces++;
                    re.append("(?:");
                }
                case '}' -> {
                    braces--;
                    re.append(')');
                }
                case ',' -> re.append(braces > 0 ? "|" : ",");
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }

    @Test
    void randomGlobsMatchAsTheRegexOracleDoes() {
        String[] parts = {"a", "b", ".", "*", "?", "[ab]", "[!a]", "[a-c]", "\\*", ",", "{a,b*}", "{,.}", "{a{b,c},*.}"
        };
        SplittableRandom rnd = new SplittableRandom(0x610BL);
        int matched = 0;
        for (int round = 0; round < 4000; round++) {
            StringBuilder g = new StringBuilder();
            for (int k = rnd.nextInt(6); k >= 0; k--) {
                g.append(parts[rnd.nextInt(parts.length)]);
            }
            StringBuilder name = new StringBuilder();
            for (int k = rnd.nextInt(8); k > 0; k--) {
                name.append("ab.c*,".charAt(rnd.nextInt(6)));
            }
            boolean expected = oracle(g.toString()).matcher(name).matches();
            assertEquals(expected, Glob.of(g.toString()).matches(name.toString()), g + " vs " + name);
            matched += expected ? 1 : 0;
        }
        assertTrue(matched > 200 && matched < 3800, "both outcomes must occur: " + matched + " matched");
    }
}

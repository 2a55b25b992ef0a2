package dev.quant4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DisplayTextTest {
    @Test
    void controlAndFormatCharactersBecomeVisibleEscapes() {
        assertEquals("a\\x1b[2Jb", DisplayText.escape("a\u001b[2Jb"));
        assertEquals("\\n\\r\\t\\x00\\x7f\\x9b", DisplayText.escape("\n\r\t\u0000\u007f\u009b"));
        assertEquals("x\\u202ey\\u2066\\u200b\\u2028\\ufeff", DisplayText.escape("x\u202ey\u2066\u200b\u2028\ufeff"));
        assertEquals("\\U000e0001", DisplayText.escape(new String(Character.toChars(0xE0001))));
        assertEquals("lone \\ud800", DisplayText.escape("lone \ud800"));
    }

    @Test
    void ordinaryTextIsKeptAsItIs() {
        String s = "model.layers.0.self_attn.q_proj.weight façade 重み 😀 \\x1b";
        assertSame(s, DisplayText.escape(s));
        assertEquals("null", DisplayText.escape(null));
    }

    @Test
    void escapingTwiceChangesNothingAndLeavesNoControlCharacter() {
        SplittableRandom rnd = new SplittableRandom(0xE5CL);
        for (int round = 0; round < 2000; round++) {
            StringBuilder sb = new StringBuilder();
            for (int k = rnd.nextInt(12); k > 0; k--) {
                sb.appendCodePoint(rnd.nextInt(4) == 0 ? rnd.nextInt(0x10FFFF + 1) : rnd.nextInt(0x300));
            }
            String once = DisplayText.escape(sb.toString());
            assertEquals(once, DisplayText.escape(once));
            once.codePoints().forEach(cp -> assertFalse(DisplayText.needsEscape(cp), once));
        }
    }
}

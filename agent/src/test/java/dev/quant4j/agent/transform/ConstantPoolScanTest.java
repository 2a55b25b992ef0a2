package dev.quant4j.agent.transform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ConstantPoolScanTest {
    private static int flags(String binaryName) {
        return ConstantPoolScan.scan(RewritingLoader.classBytes(binaryName));
    }

    @Test
    void flagsFollowWhatTheConstantPoolNames() {
        assertEquals(0, flags("dev.quant4j.testfixtures.NoFloatArrays"));
        assertEquals(ConstantPoolScan.TOUCHES_FLOAT_ARRAYS, flags("dev.quant4j.testfixtures.PlainFloatArrays"));
        assertEquals(
                ConstantPoolScan.TOUCHES_FLOAT_ARRAYS | ConstantPoolScan.HAS_QUANTIZE_ANNOTATION,
                flags("dev.quant4j.testfixtures.Weights"));
        assertEquals(
                ConstantPoolScan.TOUCHES_FLOAT_ARRAYS,
                flags("dev.quant4j.testfixtures.OtherReader"),
                "a reader refers to the field, not to the annotation");
        // A JDK class with longs and doubles in its pool (two-slot entries).
        assertEquals(0, ConstantPoolScan.scan(RewritingLoader.classBytes("java.lang.Math")));
    }

    @Test
    void somethingThatIsNotAClassFileIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> ConstantPoolScan.scan(new byte[] {1, 2, 3}));
        assertThrows(
                IllegalArgumentException.class,
                () -> ConstantPoolScan.scan(
                        new byte[] {(byte) 0xCA, (byte) 0xFE, (byte) 0xBA, (byte) 0xBE, 0, 0, 0, 69, 0, 2, 77}));
    }
}

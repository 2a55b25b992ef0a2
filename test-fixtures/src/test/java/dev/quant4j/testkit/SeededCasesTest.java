package dev.quant4j.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SeededCasesTest {
    @Test
    void eachCaseDrawsWhatTheHandWrittenLoopDrew() {
        List<Long> expected = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(0x5EEDL);
        for (int round = 0; round < 5; round++) {
            long seed = rnd.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            expected.add(seed);
            expected.add(r.nextLong());
            expected.add((long) r.nextInt(1000));
        }
        List<Long> actual = new ArrayList<>();
        SeededCases.run(0x5EEDL, 5, (seed, r) -> {
            actual.add(seed);
            actual.add(r.nextLong());
            actual.add((long) r.nextInt(1000));
        });
        assertEquals(expected, actual);
    }

    @Test
    void aFailureNamesTheCaseAndASeedThatReplaysIt() {
        SeededCases cases = new SeededCases(0xABCL);
        long[] third = new long[2];
        AssertionError cause = new AssertionError("x was 3");
        AssertionError e = assertThrows(AssertionError.class, () -> {
            for (int i = 0; i < 10; i++) {
                cases.next((seed, r) -> {
                    if (cases.count() == 3) {
                        third[0] = seed;
                        third[1] = r.nextLong();
                        throw cause;
                    }
                });
            }
        });
        assertEquals(3, cases.count(), "no case runs after the failing one");
        assertEquals(
                "case 2 (seed " + third[0] + "L, master seed 0xabcL; replay it with new SplittableRandom(" + third[0]
                        + "L)): x was 3",
                e.getMessage());
        assertSame(cause, e.getCause());
        assertEquals(third[1], new SplittableRandom(third[0]).nextLong(), "the named seed draws the same data");
    }

    @Test
    void anExceptionIsReportedWithItsCaseToo() {
        IllegalStateException cause = new IllegalStateException("bad shape");
        AssertionError e = assertThrows(
                AssertionError.class,
                () -> SeededCases.run(1, 4, (seed, r) -> {
                    throw cause;
                }));
        assertSame(cause, e.getCause());
        assertTrue(e.getMessage().startsWith("case 0 (seed "), e.getMessage());
    }
}

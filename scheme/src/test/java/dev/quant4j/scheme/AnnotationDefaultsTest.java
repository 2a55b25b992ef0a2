package dev.quant4j.scheme;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.quant4j.annotations.Quantize;
import dev.quant4j.annotations.QuantizeDefaults;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Annotation defaults cannot call code, so {@code @Quantize} and {@code @QuantizeDefaults} spell Burn's
 * defaults out as literals. This pins those literals to {@link QuantScheme#DEFAULT}, the one declaration
 * the processor and the text form start from, so that they cannot drift apart.
 */
class AnnotationDefaultsTest {
    private static final List<Class<? extends Annotation>> ANNOTATIONS =
            List.of(Quantize.class, QuantizeDefaults.class);

    /** What each scheme attribute's default must be, read from the one declaration. */
    private static Map<String, Object> expected() {
        QuantScheme d = QuantScheme.DEFAULT;
        return Map.of(
                "value",
                d.value(),
                "level",
                d.level(),
                "store",
                d.store(),
                "param",
                d.param(),
                "mode",
                d.mode(),
                "calibration",
                d.calibration(),
                "scheme",
                "",
                "activations",
                d.activations(),
                "activationCalibration",
                d.activationCalibration());
    }

    @Test
    void everyDefaultedAttributeMatchesQuantSchemeDefault() throws NoSuchMethodException {
        for (Class<? extends Annotation> a : ANNOTATIONS) {
            for (Map.Entry<String, Object> e : expected().entrySet()) {
                assertEquals(
                        e.getValue(),
                        a.getMethod(e.getKey()).getDefaultValue(),
                        "@" + a.getSimpleName() + "." + e.getKey() + "()");
            }
            assertArrayEquals(
                    new int[] {QuantScheme.DEFAULT_BLOCK_EXTENT},
                    (int[]) a.getMethod("blockSize").getDefaultValue(),
                    "@" + a.getSimpleName() + ".blockSize()");
        }
    }

    @Test
    void theTwoAnnotationsDeclareTheSameAttributesAndEveryOneIsChecked() {
        List<String> quantize = names(Quantize.class);
        assertEquals(quantize, names(QuantizeDefaults.class));
        List<String> checked = new java.util.ArrayList<>(expected().keySet());
        checked.add("blockSize");
        assertEquals(
                quantize,
                checked.stream().sorted().toList(),
                "an attribute was added to @Quantize: pin its default here");
    }

    @Test
    void theDefaultBlockLevelUsesTheDefaultExtent() {
        assertArrayEquals(
                new int[] {QuantScheme.DEFAULT_BLOCK_EXTENT},
                QuantScheme.DEFAULT
                        .withLevel(dev.quant4j.annotations.QuantLevel.BLOCK)
                        .blockSize());
        assertEquals(
                QuantScheme.DEFAULT,
                QuantScheme.parse(QuantScheme.DEFAULT.value().token()));
    }

    private static List<String> names(Class<? extends Annotation> a) {
        return Arrays.stream(a.getDeclaredMethods())
                .map(Method::getName)
                .sorted()
                .toList();
    }
}

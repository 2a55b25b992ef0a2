package dev.quant4j.agent.transform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.fields.internal.FieldHooks;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The hooks the rewritten bytecode calls are the runtime's, by class, name and descriptor. */
class FieldAccessRewriterTest {
    @Test
    void everyHookNamesAPublicStaticMethodOfTheRuntimesFieldHooks() {
        assertEquals(FieldHooks.class.getName().replace('.', '/'), FieldAccessRewriter.HOOKS);
        Map<String, String> hooks = Map.of(
                "read", FieldAccessRewriter.READ_DESCRIPTOR,
                "write", FieldAccessRewriter.WRITE_DESCRIPTOR,
                "cloned", FieldAccessRewriter.CLONED_DESCRIPTOR,
                "writeObject", FieldAccessRewriter.WRITE_FIELDS_DESCRIPTOR,
                "defaultWriteObject", FieldAccessRewriter.DEFAULT_WRITE_DESCRIPTOR);
        for (Map.Entry<String, String> h : hooks.entrySet()) {
            List<Method> named = Arrays.stream(FieldHooks.class.getMethods())
                    .filter(m -> m.getName().equals(h.getKey()))
                    .toList();
            assertEquals(1, named.size(), h.getKey() + ": " + named);
            Method m = named.getFirst();
            assertTrue(Modifier.isStatic(m.getModifiers()), m.toString());
            assertEquals(
                    MethodType.methodType(m.getReturnType(), m.getParameterTypes())
                            .toMethodDescriptorString(),
                    h.getValue(),
                    m.toString());
        }
    }
}

package dev.quant4j.agent.transform;

import static dev.quant4j.testkit.Identity.assertSame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.fields.internal.FieldHooks;
import java.lang.reflect.InvocationTargetException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class QuantizeFieldTransformerTest {
    private static final String FIXTURES = "dev.quant4j.testfixtures.";
    private static final String W_KEY = FIXTURES + "Weights#w";
    private static final String ROWS_KEY = FIXTURES + "Weights#rows";

    private final TransformRecord record = new TransformRecord();
    private final QuantizeFieldTransformer transformer = new QuantizeFieldTransformer(record, List.of(), null, null);
    private final RecordingStore store = new RecordingStore();
    private RewritingLoader loader;

    @BeforeEach
    void setUp() {
        FieldHooks.install(store);
        loader = new RewritingLoader(FIXTURES, transformer);
    }

    @AfterEach
    void tearDown() {
        FieldHooks.install(null);
    }

    private Object newInstance(String simpleName, Class<?>[] types, Object... args) throws Exception {
        try {
            return loader.loadClass(FIXTURES + simpleName).getConstructor(types).newInstance(args);
        } catch (InvocationTargetException e) {
            throw (Exception) e.getCause();
        }
    }

    private static Object call(Object target, String method, Object... args) throws Exception {
        for (var m : target.getClass().getMethods()) {
            if (m.getName().equals(method) && m.getParameterCount() == args.length) {
                try {
                    return m.invoke(target, args);
                } catch (InvocationTargetException e) {
                    throw (Exception) e.getCause();
                }
            }
        }
        throw new NoSuchMethodException(method);
    }

    private Object callStatic(String simpleName, String method, Object... args) throws Exception {
        Class<?> c = loader.loadClass(FIXTURES + simpleName);
        for (var m : c.getMethods()) {
            if (m.getName().equals(method) && m.getParameterCount() == args.length) {
                return m.invoke(null, args);
            }
        }
        throw new NoSuchMethodException(method);
    }

    @Test
    void readsOfTheDeclaringClassGoThroughTheHookWithOwnerRawValueAndKey() throws Exception {
        Object m = newInstance("Weights", new Class<?>[0]);
        float[] substitute = {1, 2, 3};
        store.substitute = substitute;

        assertSame(substitute, call(m, "readW"), "a null field reads as what the store answers");
        RecordingStore.Call c = store.calls.getLast();
        assertEquals("read", c.kind());
        assertSame(m, c.owner());
        assertNull(c.value());
        assertEquals(W_KEY, c.key());

        float[] own = {4, 5};
        call(m, "writeW", (Object) own);
        assertSame(own, call(m, "readW"), "with an array in the field, the raw value comes back unchanged");
        assertEquals(9.0, (double) call(m, "sumW"), 0.0, "reads inside loops run through the hook too");
        assertTrue(record.rewrittenClasses().containsKey(FIXTURES + "Weights"));
    }

    @Test
    void writesCallTheHookAfterStoringTheValue() throws Exception {
        Object m = newInstance("Weights", new Class<?>[0]);
        float[] v = {7};
        store.calls.clear();
        call(m, "writeW", (Object) v);
        assertEquals(1, store.calls.size());
        RecordingStore.Call c = store.calls.getFirst();
        assertEquals("write", c.kind());
        assertSame(m, c.owner());
        assertSame(v, c.value());
        assertEquals(W_KEY, c.key());
        assertSame(v, c.fieldAtHook(), "the value is in the field before the hook drops older quantized data");
        store.calls.clear();
        call(m, "writeW", (Object) null);
        assertEquals("write", store.calls.getFirst().kind());
        assertNull(store.calls.getFirst().value(), "null is passed through as null");
    }

    @Test
    void superCloneIsFollowedByTheCloneHookWithOriginalAndCopy() throws Exception {
        Object m = newInstance("CopyableWeights", new Class<?>[0]);
        store.calls.clear();
        Object copy = call(m, "clone");
        RecordingStore.Call c = store.calls.getLast();
        assertEquals("cloned", c.kind());
        assertSame(m, c.owner());
        assertSame(copy, c.value(), "the hook gets the copy and returns it unchanged");
        assertTrue(
                record.rewrittenClasses().get(FIXTURES + "CopyableWeights").contains("clones=1"),
                record.rewrittenClasses().toString());
    }

    @Test
    void aClassWithQuantizeFieldsGetsAPrivateSyntheticWriteObjectAndKeepsItsSerialVersionUid() throws Exception {
        Class<?> rewritten = loader.loadClass(FIXTURES + "CopyableWeights");
        java.lang.reflect.Method w = rewritten.getDeclaredMethod("writeObject", java.io.ObjectOutputStream.class);
        assertTrue(java.lang.reflect.Modifier.isPrivate(w.getModifiers()) && w.isSynthetic(), w.toString());
        assertTrue(
                record.rewrittenClasses().get(FIXTURES + "CopyableWeights").endsWith("writeObject=added"),
                record.rewrittenClasses().toString());
        Class<?> original = dev.quant4j.testfixtures.CopyableWeights.class;
        assertThrows(
                NoSuchMethodException.class,
                () -> original.getDeclaredMethod("writeObject", java.io.ObjectOutputStream.class),
                "the fixture itself has none (no agent in this test)");
        assertEquals(
                java.io.ObjectStreamClass.lookup(original).getSerialVersionUID(),
                java.io.ObjectStreamClass.lookup(rewritten).getSerialVersionUID(),
                "the computed serialVersionUID");
    }

    @Test
    void rowFieldsAreHookedWithTheirOwnKeyAndCastBackToFloatMatrix() throws Exception {
        Object m = newInstance("Weights", new Class<?>[0]);
        float[][] substitute = {{1, 2}, {3, 4}};
        store.substitute = substitute;
        assertSame(substitute, call(m, "readRows"));
        assertEquals(ROWS_KEY, store.calls.getLast().key());
        call(m, "writeRows", (Object) new float[][] {{9}});
        assertEquals(ROWS_KEY, store.calls.getLast().key());
        assertEquals("write", store.calls.getLast().kind());
    }

    @Test
    void aFieldWithoutTheAnnotationIsNotHookedEvenInARewrittenClass() throws Exception {
        Object m = newInstance("Weights", new Class<?>[0]);
        store.calls.clear();
        float[] p = {1};
        call(m, "writePlain", (Object) p);
        assertSame(p, call(m, "readPlain"));
        assertSame(p, callStatic("OtherReader", "readPlain", m));
        assertTrue(store.calls.isEmpty(), "plain field accesses reached the hooks: " + store.calls);
    }

    @Test
    void otherClassesThatReadTheFieldAreRewrittenToo() throws Exception {
        Object m = newInstance("Weights", new Class<?>[0]);
        float[] substitute = {5};
        store.substitute = substitute;
        assertSame(substitute, callStatic("OtherReader", "read", m));
        assertEquals(W_KEY, store.calls.getLast().key());
        float[] v = {6};
        callStatic("OtherReader", "write", m, v);
        assertEquals("write", store.calls.getLast().kind());
        assertSame(v, call(m, "readW"));
        assertTrue(record.rewrittenClasses().containsKey(FIXTURES + "OtherReader"));
        assertEquals(
                "reads=2, writes=1",
                record.rewrittenClasses().get(FIXTURES + "OtherReader"),
                "read, readThroughSub and write; readPlain untouched");
    }

    @Test
    void anInheritedFieldReadThroughTheSubclassResolvesToTheDeclaringClassKey() throws Exception {
        Object s = newInstance("SubWeights", new Class<?>[0]);
        store.substitute = new float[] {8};
        call(s, "readInherited");
        assertEquals(W_KEY, store.calls.getLast().key(), "the key names the declaring class, not the reference's");
        callStatic("OtherReader", "readThroughSub", s);
        assertEquals(W_KEY, store.calls.getLast().key());
        assertSame(s, store.calls.getLast().owner());
    }

    @Test
    void aWriteBeforeSuperInAFlexibleConstructorStaysPlainAndTheClassVerifies() throws Exception {
        float[] first = {1};
        float[] second = {2};
        store.calls.clear();
        Object e = newInstance("EarlyWrite", new Class<?>[] {float[].class, float[].class}, first, second);
        assertTrue(loader.rewritten.get(FIXTURES + "EarlyWrite"));
        assertEquals(1, store.calls.size(), "only the write after super() is hooked: " + store.calls);
        assertSame(second, store.calls.getFirst().value());
        assertSame(second, call(e, "readW"));
        // The NEW inside the prologue (the exception) must not be mistaken for the super() call.
        assertThrows(
                IllegalArgumentException.class,
                () -> newInstance("EarlyWrite", new Class<?>[] {float[].class, float[].class}, null, second));
    }

    @Test
    void classesThatTouchNoQuantizedFieldAreLeftByteForByte() throws Exception {
        long parsedBefore = record.classesParsed();
        byte[] noFloats = RewritingLoader.classBytes(FIXTURES + "NoFloatArrays");
        assertNull(
                transformer.transform(
                        null, loader, (FIXTURES + "NoFloatArrays").replace('.', '/'), null, null, noFloats),
                "null tells the JVM to keep the original bytes");
        assertEquals(parsedBefore, record.classesParsed(), "the constant-pool scan alone must reject it");

        byte[] plain = RewritingLoader.classBytes(FIXTURES + "PlainFloatArrays");
        assertNull(transformer.transform(
                null, loader, (FIXTURES + "PlainFloatArrays").replace('.', '/'), null, null, plain));
        assertEquals(parsedBefore + 1, record.classesParsed(), "float[] fields make it parse, but nothing changes");
        Object p = newInstance("PlainFloatArrays", new Class<?>[0]);
        assertFalse(loader.rewritten.get(FIXTURES + "PlainFloatArrays"));
        assertNotNull(call(p, "get"));
    }

    @Test
    void platformAndAgentClassesAreNotLookedAt() {
        long seen = record.classesSeen();
        byte[] any = RewritingLoader.classBytes(FIXTURES + "Weights");
        assertNull(transformer.transform(null, loader, "java/util/Fake", null, null, any));
        assertNull(transformer.transform(null, loader, "dev/quant4j/agent/Fake", null, null, any));
        assertNull(
                transformer.transform(null, null, FIXTURES.replace('.', '/') + "Weights", null, null, any),
                "bootstrap classes cannot see the runtime");
        assertEquals(seen, record.classesSeen());
    }

    @Test
    void aClassFileTheTransformerCannotReadIsLeftAloneAndReported() {
        byte[] broken = RewritingLoader.classBytes(FIXTURES + "Weights").clone();
        // Corrupt the first constant pool tag: the scan cannot walk the pool any more.
        broken[10] = (byte) 99;
        assertNull(transformer.transform(null, loader, "dev/quant4j/testfixtures/Broken", null, null, broken));
        String reason = record.failedClasses().get("dev.quant4j.testfixtures.Broken");
        assertNotNull(reason, "the failure must be listed in the status");
        assertTrue(reason.contains("unknown constant pool tag 99"), reason);
    }

    @Test
    void excludedPrefixesAreNotRewritten() throws Exception {
        QuantizeFieldTransformer excluding = new QuantizeFieldTransformer(
                new TransformRecord(), List.of("dev.quant4j.testfixtures.Other"), null, null);
        byte[] other = RewritingLoader.classBytes(FIXTURES + "OtherReader");
        assertNull(excluding.transform(null, loader, (FIXTURES + "OtherReader").replace('.', '/'), null, null, other));
        byte[] weights = RewritingLoader.classBytes(FIXTURES + "Weights");
        assertNotNull(excluding.transform(null, loader, (FIXTURES + "Weights").replace('.', '/'), null, null, weights));
    }

    @Test
    void withoutAStoreTheRewrittenClassBehavesLikeTheOriginal() throws Exception {
        FieldHooks.install(null);
        Object m = newInstance("Weights", new Class<?>[0]);
        assertNull(call(m, "readW"));
        float[] v = {3, 4};
        call(m, "writeW", (Object) v);
        assertSame(v, call(m, "readW"));
        assertArrayEquals(v, (float[]) callStatic("OtherReader", "read", m));
    }
}

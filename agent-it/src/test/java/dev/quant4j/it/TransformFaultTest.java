package dev.quant4j.it;

import static dev.quant4j.testkit.Identity.assertSame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.fields.QuantizedFields;
import dev.quant4j.fields.internal.FieldHooks;
import dev.quant4j.quantize.Quantizer;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.FieldVisitor;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import org.junit.jupiter.api.Test;

/**
 * A class the agent cannot rewrite: one method of about 65,000 bytes that reads a @Quantize field 13,000 times.
 * The JVM takes it as it is, but each hooked read adds 9 bytes, so the rewritten method would pass the 64 KiB
 * limit. The agent must log the class and the reason, and the class must load and run unmodified.
 */
class TransformFaultTest {
    private static final int READS_THAT_OVERFLOW = 13_000;

    /** A class with a public @Quantize float[] field w and a method read() that reads it `reads` times. */
    static byte[] readerClass(String internalName, int reads) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V25, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, internalName, null, "java/lang/Object", null);
        FieldVisitor fv = cw.visitField(Opcodes.ACC_PUBLIC, "w", "[F", null, null);
        fv.visitAnnotation("Ldev/quant4j/annotations/Quantize;", true).visitEnd();
        fv.visitEnd();
        MethodVisitor init = cw.visitMethod(Opcodes.ACC_PUBLIC, "<init>", "()V", null, null);
        init.visitCode();
        init.visitVarInsn(Opcodes.ALOAD, 0);
        init.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/lang/Object", "<init>", "()V", false);
        init.visitInsn(Opcodes.RETURN);
        init.visitMaxs(0, 0);
        init.visitEnd();
        MethodVisitor read = cw.visitMethod(Opcodes.ACC_PUBLIC, "read", "()[F", null, null);
        read.visitCode();
        for (int i = 0; i < reads; i++) {
            read.visitVarInsn(Opcodes.ALOAD, 0);
            read.visitFieldInsn(Opcodes.GETFIELD, internalName, "w", "[F");
            read.visitInsn(Opcodes.POP);
        }
        read.visitVarInsn(Opcodes.ALOAD, 0);
        read.visitFieldInsn(Opcodes.GETFIELD, internalName, "w", "[F");
        read.visitInsn(Opcodes.ARETURN);
        read.visitMaxs(0, 0);
        read.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    private static final class BytesLoader extends ClassLoader {
        BytesLoader() {
            super(TransformFaultTest.class.getClassLoader());
        }

        Class<?> define(String binaryName, byte[] bytes) {
            return defineClass(binaryName, bytes, 0, bytes.length);
        }
    }

    @Test
    void aClassThatCannotBeRewrittenIsLoggedAndLoadsUnmodified() throws Exception {
        String huge = "dev.quant4j.it.generated.HugeReader";
        String small = "dev.quant4j.it.generated.SmallReader";
        BytesLoader loader = new BytesLoader();
        PrintStream originalErr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        Class<?> hugeClass;
        Class<?> smallClass;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            hugeClass = loader.define(huge, readerClass(huge.replace('.', '/'), READS_THAT_OVERFLOW));
            smallClass = loader.define(small, readerClass(small.replace('.', '/'), 3));
        } finally {
            System.setErr(originalErr);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("could not rewrite class " + huge) && log.contains("MethodTooLarge"), log);

        Map<String, Object> status = QuantizedFields.status();
        @SuppressWarnings("unchecked")
        Map<String, String> failed = (Map<String, String>) status.get("failedClasses");
        assertNotNull(failed.get(huge), "the status lists the class: " + failed);
        assertTrue(failed.get(huge).contains("MethodTooLarge"), failed.get(huge));
        @SuppressWarnings("unchecked")
        Map<String, String> rewritten = (Map<String, String>) status.get("rewrittenClasses");
        assertFalse(rewritten.containsKey(huge));
        assertTrue(rewritten.containsKey(small), "the same kind of class, small enough, is rewritten");

        // Unmodified means: its reads are plain field reads. Store quantized data for both and compare.
        QuantizedTensor q = Quantizer.of("q8s").quantize("generated.w", FloatTensor.vector(new float[] {1, -2, 3}));
        Object hugeOwner = hugeClass.getConstructor().newInstance();
        Object smallOwner = smallClass.getConstructor().newInstance();
        FieldHooks.requireStore("generated.w").store(hugeOwner, huge + "#w", q);
        FieldHooks.requireStore("generated.w").store(smallOwner, small + "#w", q);
        assertNull(hugeClass.getMethod("read").invoke(hugeOwner), "the unmodified class reads the plain field");
        assertArrayEquals(
                q.dequantize().data(), (float[]) smallClass.getMethod("read").invoke(smallOwner));

        float[] own = {4, 5};
        hugeClass.getField("w").set(hugeOwner, own);
        assertSame(own, hugeClass.getMethod("read").invoke(hugeOwner), "and otherwise runs as written");
    }
}

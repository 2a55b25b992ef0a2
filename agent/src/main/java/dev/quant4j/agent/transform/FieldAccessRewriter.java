package dev.quant4j.agent.transform;

import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;

import java.util.Map;

/**
 * Rewrites the field instructions of a class: for every reference in {@code hooked}
 * ({@code "owner.name:descriptor"} to the field key),
 * <pre>
 *   GETFIELD o.f      becomes  DUP; GETFIELD o.f; LDC key; INVOKESTATIC QuantizedFields.read(Object,Object,String); CHECKCAST
 *   PUTFIELD o.f      becomes  DUP2; PUTFIELD o.f; LDC key; INVOKESTATIC QuantizedFields.write(Object,Object,String)
 * </pre>
 * The write hook runs after the store, so the new value is in the field before the old quantized data is dropped:
 * a reader that still sees the old null finds the old data, one that sees the new value uses it.
 * The field is still read and written as before: the hooks only see the owner and the value, so with nothing
 * quantized the program behaves exactly as it did. No branch is added, so the stack map frames stay valid as
 * they are (no frame computation, which would need to load classes); only the maximum stack grows.
 *
 * <p>One exception: a PUTFIELD in a constructor before its {@code super(...)}/{@code this(...)} call (allowed since
 * Java 25's flexible constructor bodies) keeps its plain form, because passing the not yet initialised {@code this}
 * to a method fails verification. Such a write targets an object under construction, for which the store holds
 * no quantized data, so the hook would have nothing to drop.
 */
final class FieldAccessRewriter {
    static final String HOOKS = "dev/quant4j/fields/QuantizedFields";
    static final String READ_DESCRIPTOR = "(Ljava/lang/Object;Ljava/lang/Object;Ljava/lang/String;)Ljava/lang/Object;";
    static final String WRITE_DESCRIPTOR = "(Ljava/lang/Object;Ljava/lang/Object;Ljava/lang/String;)V";

    /** The rewritten class file and how many accesses were hooked. */
    record Result(byte[] bytes, int reads, int writes) {
    }

    private FieldAccessRewriter() {
    }

    static Result rewrite(ClassReader reader, Map<String, String> hooked) {
        ClassWriter writer = new ClassWriter(reader, 0);
        int[] counts = new int[2];
        reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                             String[] exceptions) {
                MethodVisitor next = super.visitMethod(access, name, descriptor, signature, exceptions);
                return new Hooks(next, name.equals("<init>"), hooked, counts);
            }
        }, 0);
        return new Result(writer.toByteArray(), counts[0], counts[1]);
    }

    private static final class Hooks extends MethodVisitor {
        private final Map<String, String> hooked;
        private final int[] counts;
        /** In a constructor, until its own super(...)/this(...) call: `this` is still uninitialised. */
        private boolean beforeSuperCall;
        /** NEW instructions whose constructor call has not been seen yet (so that call is not ours). */
        private int pendingNew;
        private boolean changed;

        Hooks(MethodVisitor next, boolean constructor, Map<String, String> hooked, int[] counts) {
            super(Opcodes.ASM9, next);
            this.beforeSuperCall = constructor;
            this.hooked = hooked;
            this.counts = counts;
        }

        @Override
        public void visitTypeInsn(int opcode, String type) {
            if (opcode == Opcodes.NEW && beforeSuperCall) {
                pendingNew++;
            }
            super.visitTypeInsn(opcode, type);
        }

        @Override
        public void visitMethodInsn(int opcode, String owner, String name, String descriptor, boolean isInterface) {
            if (beforeSuperCall && opcode == Opcodes.INVOKESPECIAL && name.equals("<init>")) {
                if (pendingNew > 0) {
                    pendingNew--;
                } else {
                    beforeSuperCall = false;
                }
            }
            super.visitMethodInsn(opcode, owner, name, descriptor, isInterface);
        }

        @Override
        public void visitFieldInsn(int opcode, String owner, String name, String descriptor) {
            String key = opcode == Opcodes.GETFIELD || opcode == Opcodes.PUTFIELD
                    ? hooked.get(owner + '.' + name + ':' + descriptor) : null;
            if (key == null) {
                super.visitFieldInsn(opcode, owner, name, descriptor);
            } else if (opcode == Opcodes.GETFIELD) {
                super.visitInsn(Opcodes.DUP);
                super.visitFieldInsn(opcode, owner, name, descriptor);
                super.visitLdcInsn(key);
                super.visitMethodInsn(Opcodes.INVOKESTATIC, HOOKS, "read", READ_DESCRIPTOR, false);
                super.visitTypeInsn(Opcodes.CHECKCAST, descriptor);
                counts[0]++;
                changed = true;
            } else if (beforeSuperCall) {
                super.visitFieldInsn(opcode, owner, name, descriptor);
            } else {
                super.visitInsn(Opcodes.DUP2);
                super.visitFieldInsn(opcode, owner, name, descriptor);
                super.visitLdcInsn(key);
                super.visitMethodInsn(Opcodes.INVOKESTATIC, HOOKS, "write", WRITE_DESCRIPTOR, false);
                counts[1]++;
                changed = true;
            }
        }

        @Override
        public void visitMaxs(int maxStack, int maxLocals) {
            // Peak growth: GETFIELD +2 (the duplicated owner and the key), PUTFIELD +2 (the duplicated owner and value).
            super.visitMaxs(changed ? maxStack + 2 : maxStack, maxLocals);
        }
    }
}

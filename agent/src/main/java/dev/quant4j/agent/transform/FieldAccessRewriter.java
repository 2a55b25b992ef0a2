package dev.quant4j.agent.transform;

import java.io.ObjectOutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Map;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.jar.asm.Type;

/**
 * Rewrites the field instructions of a class: for every reference in {@code hooked}
 * ({@code "owner.name:descriptor"} to the field key),
 * <pre>
 *   GETFIELD o.f      becomes  DUP; GETFIELD o.f; LDC key; INVOKESTATIC FieldHooks.read(Object,Object,String); CHECKCAST
 *   PUTFIELD o.f      becomes  DUP2; PUTFIELD o.f; LDC key; INVOKESTATIC FieldHooks.write(Object,Object,String)
 * </pre>
 * The write hook runs after the store, so the new value is in the field before the old quantized data is dropped:
 * a reader that still sees the old null finds the old data, one that sees the new value uses it.
 * The field is still read and written as before: the hooks only see the owner and the value, so with nothing
 * quantized the program behaves exactly as it did. No branch is added, so the stack map frames stay valid as
 * they are (no frame computation, which would need to load classes); only the maximum stack grows.
 *
 * <p>Two copy paths that read fields without GETFIELD are carried over too, with the work in the runtime's hooks:
 * <pre>
 *   INVOKESPECIAL X.clone()Object   becomes  DUP; INVOKESPECIAL X.clone()Object; INVOKESTATIC FieldHooks.cloned(Object,Object)
 *   (in a class that declares @Quantize fields and has no writeObject)  adds
 *     private synthetic void writeObject(ObjectOutputStream out) { FieldHooks.writeObject(this, out, MethodHandles.lookup()); }
 *   (in its own writeObject)  INVOKEVIRTUAL ObjectOutputStream.defaultWriteObject()
 *     becomes  ALOAD 0; INVOKESTATIC MethodHandles.lookup(); INVOKESTATIC FieldHooks.defaultWriteObject(ObjectOutputStream,Object,Lookup)
 * </pre>
 * so a clone gets the original's quantized data and the serialized form holds the weights (dequantized, the form the
 * class has without the agent). None of these adds a branch either.
 *
 * <p>One exception: a PUTFIELD in a constructor before its {@code super(...)}/{@code this(...)} call (allowed since
 * Java 25's flexible constructor bodies) keeps its plain form, because passing the not yet initialised {@code this}
 * to a method fails verification. Such a write targets an object under construction, for which the store holds
 * no quantized data, so the hook would have nothing to drop.
 */
final class FieldAccessRewriter {
    static final String HOOKS = "dev/quant4j/fields/internal/FieldHooks";
    // The hooks' descriptors, from the types of FieldHooks' parameters (FieldAccessRewriterTest holds them to the
    // runtime's methods); the agent names FieldHooks by text so that only StoreInstaller links to the runtime.
    static final String READ_DESCRIPTOR = descriptor(Object.class, Object.class, Object.class, String.class);
    static final String WRITE_DESCRIPTOR = descriptor(void.class, Object.class, Object.class, String.class);
    static final String CLONED_DESCRIPTOR = descriptor(Object.class, Object.class, Object.class);
    static final String WRITE_FIELDS_DESCRIPTOR =
            descriptor(void.class, Object.class, ObjectOutputStream.class, MethodHandles.Lookup.class);
    static final String DEFAULT_WRITE_DESCRIPTOR =
            descriptor(void.class, ObjectOutputStream.class, Object.class, MethodHandles.Lookup.class);

    static final String OUTPUT_STREAM = Type.getInternalName(ObjectOutputStream.class);
    static final String WRITE_OBJECT_DESCRIPTOR = descriptor(void.class, ObjectOutputStream.class);
    private static final String METHOD_HANDLES = Type.getInternalName(MethodHandles.class);
    private static final String LOOKUP_DESCRIPTOR = descriptor(MethodHandles.Lookup.class);

    /** The rewritten class file and what was hooked: field reads and writes, clone calls, serialization. */
    record Result(byte[] bytes, int reads, int writes, int clones, int defaultWrites, boolean addedWriteObject) {
        boolean changed() {
            return reads + writes + clones + defaultWrites > 0 || addedWriteObject;
        }

        /** "reads=2, writes=1", then the copy hooks where there are any. */
        String summary() {
            return "reads=" + reads + ", writes=" + writes + (clones > 0 ? ", clones=" + clones : "")
                    + (defaultWrites > 0 ? ", defaultWriteObject=" + defaultWrites : "")
                    + (addedWriteObject ? ", writeObject=added" : "");
        }
    }

    private FieldAccessRewriter() {}

    /** A method's descriptor, as the class file writes it, from its return and parameter types. */
    private static String descriptor(Class<?> returns, Class<?>... parameters) {
        return MethodType.methodType(returns, parameters).toMethodDescriptorString();
    }

    /**
     * @param declaresQuantized the class declares @Quantize fields: its serialization is carried over (an added
     *                          writeObject, or its own writeObject's defaultWriteObject calls hooked)
     */
    static Result rewrite(ClassReader reader, Map<String, String> hooked, boolean declaresQuantized) {
        ClassWriter writer = new ClassWriter(reader, 0);
        int[] counts = new int[4];
        boolean[] added = new boolean[1];
        reader.accept(
                new ClassVisitor(Opcodes.ASM9, writer) {
                    private boolean serializable;
                    private boolean hasWriteObject;

                    @Override
                    public void visit(
                            int version,
                            int access,
                            String name,
                            String signature,
                            String superName,
                            String[] interfaces) {
                        // Interfaces have no instance fields; records and enums are serialized without writeObject.
                        serializable = declaresQuantized
                                && (access & (Opcodes.ACC_INTERFACE | Opcodes.ACC_ENUM)) == 0
                                && !"java/lang/Record".equals(superName);
                        super.visit(version, access, name, signature, superName, interfaces);
                    }

                    @Override
                    public MethodVisitor visitMethod(
                            int access, String name, String descriptor, String signature, String[] exceptions) {
                        MethodVisitor next = super.visitMethod(access, name, descriptor, signature, exceptions);
                        boolean writeObject = name.equals("writeObject")
                                && descriptor.equals(WRITE_OBJECT_DESCRIPTOR)
                                && (access & Opcodes.ACC_STATIC) == 0;
                        hasWriteObject |= writeObject;
                        return new Hooks(next, name.equals("<init>"), writeObject && serializable, hooked, counts);
                    }

                    @Override
                    public void visitEnd() {
                        if (serializable && !hasWriteObject) {
                            addWriteObject(cv);
                            added[0] = true;
                        }
                        super.visitEnd();
                    }
                },
                0);
        return new Result(writer.toByteArray(), counts[0], counts[1], counts[2], counts[3], added[0]);
    }

    /**
     * {@code private void writeObject(ObjectOutputStream out) { FieldHooks.writeObject(this, out, lookup()); }}:
     * what serialization calls instead of reading the fields itself. Private methods do not enter the default
     * serialVersionUID, so the class keeps its serialized identity.
     */
    private static void addWriteObject(ClassVisitor cv) {
        MethodVisitor m = cv.visitMethod(
                Opcodes.ACC_PRIVATE | Opcodes.ACC_SYNTHETIC,
                "writeObject",
                WRITE_OBJECT_DESCRIPTOR,
                null,
                new String[] {"java/io/IOException"});
        m.visitCode();
        m.visitVarInsn(Opcodes.ALOAD, 0);
        m.visitVarInsn(Opcodes.ALOAD, 1);
        m.visitMethodInsn(Opcodes.INVOKESTATIC, METHOD_HANDLES, "lookup", LOOKUP_DESCRIPTOR, false);
        m.visitMethodInsn(Opcodes.INVOKESTATIC, HOOKS, "writeObject", WRITE_FIELDS_DESCRIPTOR, false);
        m.visitInsn(Opcodes.RETURN);
        m.visitMaxs(3, 2);
        m.visitEnd();
    }

    private static final class Hooks extends MethodVisitor {
        private final Map<String, String> hooked;
        private final int[] counts;
        /** In a constructor, until its own super(...)/this(...) call: `this` is still uninitialised. */
        private boolean beforeSuperCall;
        /** NEW instructions whose constructor call has not been seen yet (so that call is not ours). */
        private int pendingNew;

        private boolean changed;

        /** In the class's own writeObject of a class with @Quantize fields: defaultWriteObject is hooked. */
        private final boolean ownWriteObject;

        Hooks(
                MethodVisitor next,
                boolean constructor,
                boolean ownWriteObject,
                Map<String, String> hooked,
                int[] counts) {
            super(Opcodes.ASM9, next);
            this.beforeSuperCall = constructor;
            this.ownWriteObject = ownWriteObject;
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
            if (opcode == Opcodes.INVOKESPECIAL && name.equals("clone") && descriptor.equals("()Ljava/lang/Object;")) {
                // super.clone(): Object.clone copies the fields, so the copy's quantized fields hold null; the hook
                // gives the copy the original's quantized data. Stack: this -> this, this -> this, copy -> copy.
                super.visitInsn(Opcodes.DUP);
                super.visitMethodInsn(opcode, owner, name, descriptor, isInterface);
                super.visitMethodInsn(Opcodes.INVOKESTATIC, HOOKS, "cloned", CLONED_DESCRIPTOR, false);
                counts[2]++;
                changed = true;
                return;
            }
            if (ownWriteObject
                    && opcode == Opcodes.INVOKEVIRTUAL
                    && owner.equals(OUTPUT_STREAM)
                    && name.equals("defaultWriteObject")
                    && descriptor.equals("()V")) {
                // Local 0 is `this` in an instance writeObject (javac never reassigns it).
                super.visitVarInsn(Opcodes.ALOAD, 0);
                super.visitMethodInsn(Opcodes.INVOKESTATIC, METHOD_HANDLES, "lookup", LOOKUP_DESCRIPTOR, false);
                super.visitMethodInsn(
                        Opcodes.INVOKESTATIC, HOOKS, "defaultWriteObject", DEFAULT_WRITE_DESCRIPTOR, false);
                counts[3]++;
                changed = true;
                return;
            }
            super.visitMethodInsn(opcode, owner, name, descriptor, isInterface);
        }

        @Override
        public void visitFieldInsn(int opcode, String owner, String name, String descriptor) {
            String key = opcode == Opcodes.GETFIELD || opcode == Opcodes.PUTFIELD
                    ? hooked.get(owner + '.' + name + ':' + descriptor)
                    : null;
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
            // Peak growth: GETFIELD +2 (the duplicated owner and the key), PUTFIELD +2 (the duplicated owner and
            // value),
            // clone +1 (the duplicated this), defaultWriteObject +2 (this and the lookup).
            super.visitMaxs(changed ? maxStack + 2 : maxStack, maxLocals);
        }
    }
}

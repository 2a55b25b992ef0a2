package dev.quant4j.agent.transform;

import dev.quant4j.agent.AgentLog;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import net.bytebuddy.jar.asm.ClassReader;

/**
 * Rewrites, as classes load, every GETFIELD/PUTFIELD of a {@code float[]}/{@code float[][]} instance field annotated
 * {@code @Quantize}, in the declaring class and in every class that accesses it (see {@link FieldAccessRewriter}).
 *
 * <p>Cost for the classes that do not take part: a constant-pool scan with no allocation ({@link ConstantPoolScan});
 * such classes are returned unchanged (null), byte for byte. Only a class that refers to a float-array field is
 * parsed, and its field references are resolved against the owners' class files ({@link FieldIndex}).
 *
 * <p>Faults never reach the application: any exception leaves the class as it was, with a warning naming the
 * class and the reason, and an entry in the status.
 */
public final class QuantizeFieldTransformer implements ClassFileTransformer {
    private static final String HOOKS_RESOURCE = FieldAccessRewriter.HOOKS + ".class";
    private static final List<String> ALWAYS_EXCLUDED =
            List.of("java/", "javax/", "jdk/", "sun/", "com/sun/", "dev/quant4j/agent/");

    private final TransformRecord record;
    private final FieldIndex index = new FieldIndex();
    private final String[] excludes;
    private final Instrumentation instrumentation;
    private final Class<?> hooksClass;
    private final Map<ClassLoader, Boolean> hooksVisible = new WeakHashMap<>();

    /**
     * @param excludes        extra binary-name prefixes (dots) to leave alone
     * @param instrumentation for read edges from named modules to the hooks' module; may be null (tests)
     * @param hooksClass      the FieldHooks class the store was installed into; may be null
     */
    public QuantizeFieldTransformer(
            TransformRecord record, List<String> excludes, Instrumentation instrumentation, Class<?> hooksClass) {
        this.record = record;
        this.excludes = new String[ALWAYS_EXCLUDED.size() + excludes.size()];
        int i = 0;
        for (String e : ALWAYS_EXCLUDED) {
            this.excludes[i++] = e;
        }
        for (String e : excludes) {
            this.excludes[i++] = e.replace('.', '/');
        }
        this.instrumentation = instrumentation;
        this.hooksClass = hooksClass;
    }

    @Override
    public byte[] transform(
            Module module,
            ClassLoader loader,
            String className,
            Class<?> classBeingRedefined,
            ProtectionDomain protectionDomain,
            byte[] classfileBuffer) {
        // Bootstrap classes cannot see the runtime; hidden classes (className null) have no field references of ours;
        // redefinitions keep the class as the application redefines it.
        if (loader == null || className == null || classBeingRedefined != null || isExcluded(className)) {
            return null;
        }
        long start = System.nanoTime();
        try {
            byte[] out = rewrite(loader, className, classfileBuffer);
            if (out != null && module != null) {
                ensureReadsHooks(module);
            }
            return out;
        } catch (Throwable t) {
            String reason = t.getClass().getName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
            record.failed(className.replace('/', '.'), reason);
            AgentLog.warn("could not rewrite class " + className.replace('/', '.') + " (" + reason
                    + "); it is loaded unmodified, so its @Quantize fields read and write as plain arrays");
            return null;
        } finally {
            record.seen(System.nanoTime() - start);
        }
    }

    private boolean isExcluded(String className) {
        for (String e : excludes) {
            if (className.startsWith(e)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The rewritten class file, or null when the class has no access to a {@code @Quantize} array field.
     * Throws on a class file it cannot handle; {@link #transform} turns that into a warning.
     */
    public byte[] rewrite(ClassLoader loader, String className, byte[] classFile) {
        int flags = ConstantPoolScan.scan(classFile);
        if ((flags & (ConstantPoolScan.TOUCHES_FLOAT_ARRAYS | ConstantPoolScan.CLONEABLE)) == 0) {
            return null;
        }
        record.parsed();
        boolean declaresQuantized = false;
        if ((flags & ConstantPoolScan.HAS_QUANTIZE_ANNOTATION) != 0) {
            FieldIndex.ClassFields fields = FieldIndex.parse(classFile);
            index.register(loader, className, fields);
            declaresQuantized = !fields.quantized().isEmpty();
        }
        ClassReader reader = new ClassReader(classFile);
        Map<String, String> hooked =
                (flags & ConstantPoolScan.TOUCHES_FLOAT_ARRAYS) != 0 ? hookedFieldReferences(loader, reader) : Map.of();
        boolean takesPart = !hooked.isEmpty() || declaresQuantized;
        if (!takesPart && (flags & ConstantPoolScan.CLONEABLE) == 0) {
            return null;
        }
        if (!hooksVisible(loader)) {
            if (!takesPart) {
                return null; // a Cloneable class of a loader without the runtime: nothing of ours to carry over
            }
            throw new IllegalStateException("quant4j-runtime (" + FieldAccessRewriter.HOOKS.replace('/', '.')
                    + ") is not visible from class loader " + loader
                    + "; put quant4j-runtime on that loader's class path");
        }
        FieldAccessRewriter.Result result = FieldAccessRewriter.rewrite(reader, hooked, declaresQuantized);
        if (!result.changed()) {
            return null;
        }
        record.rewritten(className.replace('/', '.'), result.summary());
        if (AgentLog.debugEnabled()) {
            AgentLog.debug("rewrote " + className.replace('/', '.') + ": " + result.summary() + " (@Quantize fields "
                    + hooked.values() + ")");
        }
        return result.bytes();
    }

    /** Field references ({@code owner.name:desc}) of float-array type that resolve to a @Quantize field, to the key. */
    private Map<String, String> hookedFieldReferences(ClassLoader loader, ClassReader reader) {
        Map<String, String> hooked = new HashMap<>();
        char[] buffer = new char[reader.getMaxStringLength()];
        int items = reader.getItemCount();
        for (int i = 1; i < items; i++) {
            int offset = reader.getItem(i);
            // Entry 0 and the second slot of a long/double have no offset.
            if (offset == 0 || reader.readByte(offset - 1) != 9) {
                continue;
            }
            int nameAndType = reader.getItem(reader.readUnsignedShort(offset + 2));
            String descriptor = reader.readUTF8(nameAndType + 2, buffer);
            if (!FieldIndex.isFloatArrayDescriptor(descriptor)) {
                continue;
            }
            String owner = reader.readClass(offset, buffer);
            String name = reader.readUTF8(nameAndType, buffer);
            FieldIndex.Resolution r = index.resolve(loader, owner, name, descriptor);
            if (r.quantized()) {
                hooked.put(
                        owner + '.' + name + ':' + descriptor,
                        r.declaringInternalName().replace('/', '.') + '#' + name);
            }
        }
        return hooked;
    }

    private boolean hooksVisible(ClassLoader loader) {
        synchronized (hooksVisible) {
            Boolean known = hooksVisible.get(loader);
            if (known != null) {
                return known;
            }
        }
        boolean visible = loader.getResource(HOOKS_RESOURCE) != null;
        synchronized (hooksVisible) {
            hooksVisible.put(loader, visible);
        }
        return visible;
    }

    /** A rewritten class in a named module calls into the runtime's module, so it must read it. */
    private void ensureReadsHooks(Module module) {
        if (!module.isNamed() || hooksClass == null || instrumentation == null) {
            return;
        }
        Module hooksModule = hooksClass.getModule();
        if (!module.canRead(hooksModule)) {
            instrumentation.redefineModule(module, Set.of(hooksModule), Map.of(), Map.of(), Set.of(), Map.of());
        }
    }
}

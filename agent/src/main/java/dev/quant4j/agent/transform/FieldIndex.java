package dev.quant4j.agent.transform;

import java.io.IOException;
import java.io.InputStream;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import net.bytebuddy.jar.asm.AnnotationVisitor;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.FieldVisitor;
import net.bytebuddy.jar.asm.Opcodes;

/**
 * Answers "is the field that {@code owner.name:desc} refers to annotated {@code @Quantize}?" without loading any
 * class: it reads class files through the class loader's resources (the way the JVM would resolve the
 * reference: the named class, then its superclasses) and remembers what it read, per class loader.
 *
 * <p>The annotation is matched by its descriptor, so the agent needs no annotation classes of its own.
 */
final class FieldIndex {
    /** Where a field reference resolves to. */
    record Resolution(String declaringInternalName, boolean quantized) {}

    static final Resolution NOT_QUANTIZED = new Resolution(null, false);

    /** The instance fields a class declares (name + descriptor) and which of them are {@code @Quantize} arrays. */
    record ClassFields(String superName, Set<String> declared, Set<String> quantized) {}

    private static final int MAX_HIERARCHY_DEPTH = 256;

    private final Map<ClassLoader, Map<String, ClassFields>> byLoader = new WeakHashMap<>();

    /** Parses a class file's field table (code skipped). */
    static ClassFields parse(byte[] classFile) {
        ClassReader reader = new ClassReader(classFile);
        Set<String> declared = new HashSet<>();
        Set<String> quantized = new HashSet<>();
        reader.accept(
                new ClassVisitor(Opcodes.ASM9) {
                    @Override
                    public FieldVisitor visitField(
                            int access, String name, String descriptor, String signature, Object value) {
                        if ((access & Opcodes.ACC_STATIC) != 0) {
                            return null;
                        }
                        String member = name + ':' + descriptor;
                        declared.add(member);
                        if (!isFloatArrayDescriptor(descriptor)) {
                            return null;
                        }
                        return new FieldVisitor(Opcodes.ASM9) {
                            @Override
                            public AnnotationVisitor visitAnnotation(String annotation, boolean visible) {
                                if (ConstantPoolScan.QUANTIZE_DESCRIPTOR.equals(annotation)) {
                                    quantized.add(member);
                                }
                                return null;
                            }
                        };
                    }
                },
                ClassReader.SKIP_CODE | ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
        // The header names the super class (null for java/lang/Object) without a visit of its own.
        return new ClassFields(reader.getSuperName(), Set.copyOf(declared), Set.copyOf(quantized));
    }

    static boolean isFloatArrayDescriptor(String descriptor) {
        return descriptor.equals("[F") || descriptor.equals("[[F");
    }

    /** Remembers a class being defined now, whose bytes may not be reachable as a resource (generated classes). */
    void register(ClassLoader loader, String internalName, ClassFields fields) {
        cacheOf(loader).put(internalName, fields);
    }

    /**
     * Resolves a field reference like the JVM does for GETFIELD/PUTFIELD (the named class, then its
     * superclasses). Returns {@link #NOT_QUANTIZED} for a plain field and also when a class on the way cannot be
     * read: an unknown field is left as it is, which is what the program did without the agent.
     */
    Resolution resolve(ClassLoader loader, String owner, String name, String descriptor) {
        String member = name + ':' + descriptor;
        String current = owner;
        for (int depth = 0; current != null && depth < MAX_HIERARCHY_DEPTH; depth++) {
            if (isPlatformClass(current)) {
                return NOT_QUANTIZED;
            }
            ClassFields fields = lookup(loader, current);
            if (fields == null) {
                if (dev.quant4j.agent.AgentLog.debugEnabled()) {
                    dev.quant4j.agent.AgentLog.debug("cannot read the class file of " + current.replace('/', '.')
                            + " to resolve " + owner.replace('/', '.') + "." + name + "; the access is left as it is");
                }
                return NOT_QUANTIZED;
            }
            if (fields.declared().contains(member)) {
                return fields.quantized().contains(member) ? new Resolution(current, true) : NOT_QUANTIZED;
            }
            current = fields.superName();
        }
        return NOT_QUANTIZED;
    }

    private static boolean isPlatformClass(String internalName) {
        return internalName.startsWith("java/")
                || internalName.startsWith("javax/")
                || internalName.startsWith("jdk/")
                || internalName.startsWith("sun/")
                || internalName.startsWith("com/sun/");
    }

    private ClassFields lookup(ClassLoader loader, String internalName) {
        for (ClassLoader l = loader; l != null; l = l.getParent()) {
            ClassFields known = knownIn(l, internalName);
            if (known != null) {
                return known;
            }
        }
        ClassFields read = read(loader, internalName);
        if (read != null) {
            cacheOf(loader).put(internalName, read);
        }
        return read;
    }

    private ClassFields knownIn(ClassLoader loader, String internalName) {
        Map<String, ClassFields> cache;
        synchronized (byLoader) {
            cache = byLoader.get(loader);
        }
        return cache == null ? null : cache.get(internalName);
    }

    private Map<String, ClassFields> cacheOf(ClassLoader loader) {
        synchronized (byLoader) {
            return byLoader.computeIfAbsent(loader, l -> new ConcurrentHashMap<>());
        }
    }

    private static ClassFields read(ClassLoader loader, String internalName) {
        String resource = internalName + ".class";
        try (InputStream in = loader == null
                ? ClassLoader.getSystemResourceAsStream(resource)
                : loader.getResourceAsStream(resource)) {
            if (in == null) {
                return null;
            }
            return parse(in.readAllBytes());
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}

package dev.quant4j.model;

import dev.quant4j.scheme.VisitorNames;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Finds the visitor of a model class without scanning the class path.
 *
 * <p>The processor generates {@code Foo_Quantization} next to {@code Foo} (nested classes join their
 * names with {@code _}: {@code Outer_Inner_Quantization}); its static initializer calls
 * {@link #register}. To find the visitor of a class, this loads that one name through the model class's
 * own class loader, which runs the initializer; when there is none it tries the superclass, and so on up
 * to {@code Object}. One lookup per class, remembered; no service files, no scanning, and no reflection
 * on fields or constructors.
 */
public final class ModelVisitors {
    // ClassValue ties each entry to its class's lifetime, so unloading a model's class loader frees it.
    private static final ClassValue<AtomicReference<ModelVisitor<?>>> REGISTERED = new ClassValue<>() {
        @Override
        protected AtomicReference<ModelVisitor<?>> computeValue(Class<?> type) {
            return new AtomicReference<>();
        }
    };

    private static final ClassValue<Boolean> LOADED = new ClassValue<>() {
        @Override
        protected Boolean computeValue(Class<?> type) {
            try {
                Class.forName(visitorClassName(type), true, type.getClassLoader());
                return Boolean.TRUE;
            } catch (ClassNotFoundException e) {
                return Boolean.FALSE;
            }
        }
    };

    private ModelVisitors() {}

    /**
     * Registers the visitor of {@code type} (generated visitors call this from their static initializer).
     *
     * @throws IllegalArgumentException if the visitor is for another class
     */
    public static <M> void register(Class<M> type, ModelVisitor<M> visitor) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(visitor, "visitor");
        if (visitor.modelType() != type) {
            throw new IllegalArgumentException("visitor " + visitor.getClass().getName() + " walks "
                    + visitor.modelType().getName() + ", not " + type.getName());
        }
        REGISTERED.get(type).set(visitor);
    }

    /** The name of the generated visitor class of {@code type}, by the processor's rule ({@link VisitorNames}). */
    public static String visitorClassName(Class<?> type) {
        List<String> nesting = new ArrayList<>();
        for (Class<?> c = type; c != null; c = c.getEnclosingClass()) {
            nesting.addFirst(c.getSimpleName());
        }
        return VisitorNames.qualifiedName(type.getPackageName(), nesting);
    }

    /** The visitor registered for exactly {@code type}, loading its generated class if needed; or null. */
    public static ModelVisitor<?> findExact(Class<?> type) {
        AtomicReference<ModelVisitor<?>> slot = REGISTERED.get(type);
        if (slot.get() == null && !type.isArray() && !type.isPrimitive()) {
            LOADED.get(type);
        }
        return slot.get();
    }

    /** The visitor for {@code type} or its nearest superclass that has one; null if none has. */
    public static ModelVisitor<?> find(Class<?> type) {
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            ModelVisitor<?> v = findExact(c);
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    /**
     * The visitor for {@code type} or its nearest superclass.
     *
     * @throws IllegalArgumentException naming the class and the fix when there is none
     */
    public static ModelVisitor<?> require(Class<?> type) {
        ModelVisitor<?> v = find(type);
        if (v == null) {
            throw new IllegalArgumentException("no quant4j visitor for " + type.getName() + " (looked for "
                    + visitorClassName(type) + " and its superclasses' visitors): compile the model class with "
                    + "quant4j-processor on the annotationProcessorPaths, and give it a @Quantize field or "
                    + "@QuantModule");
        }
        return v;
    }

    /** Walks {@code model} with the visitor of its runtime class (or nearest superclass). */
    public static void visit(Object model, String path, WeightVisitor visitor) {
        Objects.requireNonNull(model, "model");
        visitUnchecked(require(model.getClass()), model, path, visitor);
    }

    /**
     * Walks {@code model} as an instance of exactly {@code type}: a generated visitor calls this for the
     * fields its class inherits from a model superclass.
     */
    public static <M> void visitAs(Class<M> type, M model, String path, WeightVisitor visitor) {
        ModelVisitor<?> v = findExact(type);
        if (v == null) {
            throw new IllegalArgumentException("no quant4j visitor for " + type.getName() + " (looked for "
                    + visitorClassName(type) + "), the superclass of "
                    + model.getClass().getName()
                    + ": compile it with quant4j-processor on the annotationProcessorPaths");
        }
        visitUnchecked(v, model, path, visitor);
    }

    private static <M> void visitUnchecked(ModelVisitor<M> v, Object model, String path, WeightVisitor visitor) {
        v.visit(v.modelType().cast(model), path, visitor);
    }
}

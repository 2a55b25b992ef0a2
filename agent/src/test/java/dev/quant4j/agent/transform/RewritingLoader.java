package dev.quant4j.agent.transform;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Loads the classes of one package child-first, passing their bytes through the transformer as the JVM would
 * at class-load time, so the rewriting is tested (and the result verified by the JVM) without an agent.
 */
final class RewritingLoader extends ClassLoader {
    private final String packagePrefix;
    private final QuantizeFieldTransformer transformer;
    final Map<String, Boolean> rewritten = new HashMap<>();

    RewritingLoader(String packagePrefix, QuantizeFieldTransformer transformer) {
        super(RewritingLoader.class.getClassLoader());
        this.packagePrefix = packagePrefix;
        this.transformer = transformer;
    }

    static byte[] classBytes(String binaryName) {
        String resource = binaryName.replace('.', '/') + ".class";
        try (InputStream in = RewritingLoader.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("no class file " + resource);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (!name.startsWith(packagePrefix)) {
            return super.loadClass(name, resolve);
        }
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) {
                byte[] original = classBytes(name);
                byte[] out = transformer.transform(null, this, name.replace('.', '/'), null, null, original);
                rewritten.put(name, out != null);
                byte[] bytes = out == null ? original : out;
                c = defineClass(name, bytes, 0, bytes.length);
            }
            if (resolve) {
                resolveClass(c);
            }
            return c;
        }
    }
}

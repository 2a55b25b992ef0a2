package dev.quant4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A file written under a temporary name beside its destination and renamed over it only when complete,
 * so that a reader never sees half a file and a failure leaves the destination as it was.
 *
 * <ul>
 *   <li>The temporary name is {@code .NAME.q4jPID-RANDOM.tmp}, with NAME cut so that the whole name
 *       fits 255 bytes (a destination name of legal length always works).</li>
 *   <li>Failure, {@link #close()} without {@link #commit()}, and JVM shutdown (SIGTERM, Ctrl-C: a
 *       shutdown hook) delete it. (So a file that another shutdown hook is writing at that moment fails
 *       rather than being left half-written.) SIGKILL leaves it; the next write into the same folder deletes every
 *       temporary file of this naming whose process is gone. (Java cannot open with {@code O_TMPFILE}
 *       and link the result later, which would leave nothing behind even then.)</li>
 *   <li>{@link #commit()} forces the data to disk, gives the file the permission bits of the file it
 *       replaces, renames it over the destination and forces the folder, so that a success survives a
 *       power cut.</li>
 *   <li>Errors of the file system while writing become {@link FileWriteException}s that say what
 *       happened ("no space left on device writing OUT").</li>
 * </ul>
 */
final class AtomicOutput implements AutoCloseable {
    /** Linux's limit on one name in a path, in bytes. */
    private static final int MAX_NAME_BYTES = 255;
    /** Longest part of the destination's name kept in the temporary name: enough to recognize it. */
    private static final int MAX_KEPT_BYTES = 128;

    private static final Pattern TEMP_NAME =
            Pattern.compile("\\..*\\.q4j([0-9]{1,19})-[0-9a-f]{1,16}\\.tmp", Pattern.DOTALL);

    /** Temporary files being written by this JVM, deleted by the shutdown hook. */
    private static final Set<Path> LIVE = new HashSet<>();

    static {
        try {
            Runtime.getRuntime().addShutdownHook(new Thread(AtomicOutput::deleteAllLive, "quant4j-temp-cleanup"));
        } catch (IllegalStateException alreadyShuttingDown) {
            // First used from a shutdown hook: nothing to clean up after; the next write's tidying covers it.
        }
    }

    private final Path destination;
    private final Path target;
    private final Path temp;
    private final FileChannel channel;
    private boolean done;

    private AtomicOutput(Path destination, Path target, Path temp, FileChannel channel) {
        this.destination = destination;
        this.target = target;
        this.temp = temp;
        this.channel = channel;
    }

    /**
     * Creates the temporary file for {@code destination}, after deleting stale ones in its folder.
     *
     * @param target the destination as an absolute path whose folder exists
     */
    static AtomicOutput create(Path destination, Path target) throws IOException {
        Path dir = target.getParent();
        deleteStale(dir);
        Path temp = dir.resolve(tempName(
                target.getFileName().toString(),
                ProcessHandle.current().pid(),
                ThreadLocalRandom.current().nextLong() >>> 1));
        FileChannel ch;
        synchronized (LIVE) {
            // Under the lock, so that a file never exists unregistered while the hook runs. Writes that
            // start after the hook (from another shutdown hook, say) are not refused: the JVM waits for
            // them, and if it is halted anyway the next write's tidying removes what is left.
            try {
                ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (IOException e) {
                throw e instanceof java.nio.file.FileSystemException ? e : new FileWriteException(destination, e);
            }
            LIVE.add(temp);
        }
        return new AtomicOutput(destination, target, temp, ch);
    }

    /** What goes into the file; it writes through the channel and the output commits when it returns. */
    @FunctionalInterface
    interface Body {
        void writeTo(WritableByteChannel channel) throws IOException;
    }

    /**
     * Writes a whole file all or nothing: checks that the folder exists and the destination is not a
     * folder, writes the body into the temporary file, and commits; every writer of this package does it so.
     */
    static void write(Path destination, Body body) throws IOException {
        Path target = destination.toAbsolutePath();
        Path dir = target.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new java.nio.file.NoSuchFileException(
                    String.valueOf(dir), null, "the folder to write " + destination + " into does not exist");
        }
        if (Files.isDirectory(target)) {
            throw new java.nio.file.FileSystemException(
                    destination.toString(), null, "is a folder; give a file name to write to");
        }
        try (AtomicOutput out = create(destination, target)) {
            body.writeTo(out.channel());
            out.commit();
        }
    }

    /** {@code .NAME.q4jPID-RANDOM.tmp}, NAME cut to fit the 255-byte limit on whole code points. */
    static String tempName(String name, long pid, long random) {
        String tail = ".q4j" + pid + "-" + Long.toHexString(random) + ".tmp";
        int budget = Math.min(MAX_KEPT_BYTES, MAX_NAME_BYTES - 1 - tail.length());
        StringBuilder kept = new StringBuilder();
        int bytes = 0;
        for (int i = 0; i < name.length(); ) {
            int cp = name.codePointAt(i);
            int n = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
            if (bytes + n > budget) {
                break;
            }
            kept.appendCodePoint(cp);
            bytes += n;
            i += Character.charCount(cp);
        }
        return "." + kept + tail;
    }

    /** Deletes temporary files of our naming in the folder whose writing process no longer runs. */
    static void deleteStale(Path dir) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, ".*.q4j*-*.tmp")) {
            for (Path f : files) {
                Matcher m = TEMP_NAME.matcher(f.getFileName().toString());
                if (!m.matches() || !Files.isRegularFile(f)) {
                    continue;
                }
                long pid;
                try {
                    pid = Long.parseLong(m.group(1));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (ProcessHandle.of(pid).isEmpty()) {
                    Files.deleteIfExists(f);
                }
            }
        } catch (IOException | RuntimeException e) {
            // Tidying is a courtesy: a folder we cannot list or a file we cannot delete does not stop the write.
        }
    }

    private static void deleteAllLive() {
        synchronized (LIVE) {
            for (Path p : LIVE) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // The JVM is exiting; nothing better to do.
                }
            }
            LIVE.clear();
        }
    }

    /** The temporary file's path (for tests and messages). */
    Path temp() {
        return temp;
    }

    /** The channel to write through; file-system errors come out as {@link FileWriteException}. */
    WritableByteChannel channel() {
        return new WritableByteChannel() {
            @Override
            public int write(ByteBuffer src) throws IOException {
                try {
                    return channel.write(src);
                } catch (ClosedChannelException e) {
                    throw e;
                } catch (IOException e) {
                    throw new FileWriteException(destination, e);
                }
            }

            @Override
            public boolean isOpen() {
                return channel.isOpen();
            }

            @Override
            public void close() {
                // The output closes the file itself.
            }
        };
    }

    /** Forces the data, takes over the old file's permission bits, renames over the destination, forces the folder. */
    void commit() throws IOException {
        try {
            channel.force(true);
        } catch (IOException e) {
            throw new FileWriteException(destination, e);
        }
        channel.close();
        keepPermissions();
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        done = true;
        forget();
        forceFolder(target.getParent());
    }

    /** A replaced file keeps its mode: a file made private stays private. */
    private void keepPermissions() throws IOException {
        PosixFileAttributeView old = Files.getFileAttributeView(target, PosixFileAttributeView.class);
        if (old == null || !Files.isRegularFile(target)) {
            return;
        }
        Set<PosixFilePermission> mode;
        try {
            mode = old.readAttributes().permissions();
        } catch (IOException e) {
            return;
        }
        Files.setPosixFilePermissions(temp, mode);
    }

    /** fsync of the folder, so that the rename itself is on disk; not every system can open a folder. */
    static void forceFolder(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (UnsupportedOperationException | java.nio.file.AccessDeniedException e) {
            // Windows cannot open a folder as a file; its rename is durable on its own terms.
        }
    }

    private void forget() {
        synchronized (LIVE) {
            LIVE.remove(temp);
        }
    }

    /** Without a commit: closes and deletes the temporary file. */
    @Override
    public void close() throws IOException {
        if (done) {
            return;
        }
        done = true;
        try {
            channel.close();
        } finally {
            try {
                Files.deleteIfExists(temp);
            } finally {
                forget();
            }
        }
    }
}

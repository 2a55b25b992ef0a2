package dev.quant4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.quant4j.tensor.FloatTensor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The writer's temporary file under faults: names of legal length, permission bits, signals, SIGKILL,
 * a file-size limit, a full disk, and the folder's fsync after the rename.
 */
class AtomicOutputTest {
    @TempDir
    Path dir;

    static void writeSmall(Path f) throws IOException {
        SafetensorsWriter.write(
                f, Map.of(), List.of(TensorSpec.floats("w", FloatTensor.vector(new float[] {1, 2}), Dtype.F32)));
    }

    List<String> folder() throws IOException {
        return folder(dir);
    }

    /** The names in {@code folder}, sorted. */
    static List<String> folder(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aDestinationNameOf255BytesWorks() throws IOException {
        // The temporary name adds a dot, the PID and a random part: it must be cut, not overflow the limit.
        String ascii = "m".repeat(255 - ".safetensors".length()) + ".safetensors";
        String wide = "重".repeat(85);
        assertEquals(255, ascii.getBytes(StandardCharsets.UTF_8).length);
        assertEquals(255, wide.getBytes(StandardCharsets.UTF_8).length);
        for (String name : List.of(ascii, wide)) {
            writeSmall(dir.resolve(name));
            try (SafetensorsReader r = SafetensorsReader.open(dir.resolve(name))) {
                assertEquals(
                        List.of("w"),
                        r.entries().stream().map(SafetensorsEntry::name).toList());
            }
        }
        assertEquals(List.of(ascii, wide).stream().sorted().toList(), folder());
        String temp = AtomicOutput.tempName(wide, Long.MAX_VALUE, Long.MAX_VALUE);
        assertTrue(temp.getBytes(StandardCharsets.UTF_8).length <= 255, temp);
        assertTrue(temp.startsWith(".重重") && temp.endsWith(".q4j9223372036854775807-7fffffffffffffff.tmp"), temp);
    }

    @Test
    void replacingAFileKeepsItsPermissionBits() throws IOException {
        Path f = dir.resolve("private.safetensors");
        writeSmall(f);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r-----"));
        writeSmall(f);
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
    }

    /** The PID of a process that has exited. */
    static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        assertEquals(0, p.waitFor());
        long pid = p.pid();
        assumeTrue(ProcessHandle.of(pid).isEmpty(), "PID " + pid + " was reused at once");
        return pid;
    }

    @Test
    void staleTemporaryFilesOfDeadWritersAreDeletedOnTheNextWrite() throws Exception {
        Path stale = dir.resolve(AtomicOutput.tempName("old.safetensors", deadPid(), 0xABCL));
        Path live = dir.resolve(AtomicOutput.tempName(
                "other.safetensors", ProcessHandle.current().pid(), 0xDEFL));
        Path unrelated = dir.resolve(".notes.tmp");
        for (Path p : List.of(stale, live, unrelated)) {
            Files.write(p, new byte[] {1});
        }
        writeSmall(dir.resolve("new.safetensors"));
        assertFalse(Files.exists(stale), "the temporary file of a process that is gone");
        assertTrue(Files.exists(live), "a temporary file of a running process may be in use");
        assertTrue(Files.exists(unrelated), "not of our naming");
    }

    Process child(String mode, String... prefix) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(prefix));
        cmd.addAll(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                ChildWriter.class.getName(),
                dir.toString(),
                mode));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    /** Starts the slow child and returns once its temporary file exists. */
    Process writingChild() throws Exception {
        Process p = child("slow");
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        assertEquals("writing", line, "the child should be writing");
        assertTrue(folder().stream().anyMatch(n -> n.endsWith(".tmp")), folder().toString());
        return p;
    }

    @Test
    void sigtermAndCtrlCLeaveNoTemporaryFile() throws Exception {
        for (String signal : List.of("TERM", "INT")) {
            Process p = writingChild();
            assertEquals(
                    0,
                    new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid()))
                            .start()
                            .waitFor());
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the child should exit on SIG" + signal);
            assertEquals(List.of(), folder(), "after SIG" + signal);
        }
    }

    @Test
    void afterSigkillTheNextWriteRemovesTheTemporaryFile() throws Exception {
        Process p = writingChild();
        p.destroyForcibly();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(1, folder().size(), "SIGKILL runs no hook: " + folder());
        writeSmall(dir.resolve("next.safetensors"));
        assertEquals(List.of("next.safetensors"), folder());
    }

    @Test
    void aFileSizeLimitIsReportedInWordsAndLeavesNothing() throws Exception {
        // ulimit -f counts 1024-byte blocks: 64 KiB against a 1 MiB file. The JVM ignores SIGXFSZ, so
        // the write fails with EFBIG.
        Process p = child("big", "bash", "-c", "ulimit -f 64; exec \"$@\"", "bash");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(3, p.waitFor(), out);
        assertEquals(
                "FileWriteException: the file grew past the file-size limit (ulimit -f) or the largest file the "
                        + "file system holds writing " + dir.resolve("out.safetensors"),
                out);
        assertEquals(List.of(), folder());
    }

    /** A tmpfs of {@code size} mounted at {@code dir/small}; the test is skipped where mounting needs root. */
    private Path smallDisk(String size) throws Exception {
        Path small = Files.createDirectory(dir.resolve("small"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", small.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(mount.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assumeTrue(mount.waitFor() == 0, "needs root to mount a small tmpfs: " + out);
        return small;
    }

    @Test
    void aFullDiskIsReportedInWordsAndLeavesNothing() throws Exception {
        Path small = smallDisk("256k");
        try {
            Path f = small.resolve("out.safetensors");
            FileWriteException e = assertThrows(
                    FileWriteException.class,
                    () -> SafetensorsWriter.write(
                            f,
                            Map.of(),
                            List.of(TensorSpec.floats("w", FloatTensor.vector(new float[1 << 18]), Dtype.F32))));
            assertEquals("no space left on device writing " + f, e.getMessage());
            assertEquals(f, e.file());
            assertEquals(List.of(), folder(small));
        } finally {
            new ProcessBuilder("umount", small.toString()).start().waitFor();
        }
    }

    @Test
    void theFolderIsForcedToDiskAfterTheRename() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/strace")), "needs strace");
        Path log = dir.resolve("strace.log");
        Process p = child(
                "big",
                "/usr/bin/strace",
                "-f",
                "-qq",
                "-o",
                log.toString(),
                "-e",
                "trace=rename,renameat,renameat2,openat,fsync,fdatasync");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        assumeTrue(code == 0 || !out.contains("ptrace"), "strace cannot trace here: " + out);
        assertEquals(0, code, out);
        List<String> calls = Files.readAllLines(log);
        int rename = -1;
        for (int i = 0; i < calls.size(); i++) {
            if (calls.get(i).matches(".*rename\\w*\\(.*\\.tmp\", .*out\\.safetensors\".*")) {
                rename = i;
            }
        }
        assertTrue(rename >= 0, "no rename in " + calls);
        String folderFd = null;
        boolean forced = false;
        String quoted = "\"" + dir + "\"";
        for (String c : calls.subList(rename + 1, calls.size())) {
            java.util.regex.Matcher open = java.util.regex.Pattern.compile(
                            "openat\\(AT_FDCWD, " + java.util.regex.Pattern.quote(quoted) + ", .*\\) = (\\d+)")
                    .matcher(c.replaceFirst("^\\d+ +", ""));
            if (open.find()) {
                folderFd = open.group(1);
            } else if (folderFd != null && c.replaceFirst("^\\d+ +", "").startsWith("fsync(" + folderFd + ")")) {
                forced = true;
            }
        }
        assertTrue(forced, "no fsync of " + dir + " after the rename: " + calls.subList(rename, calls.size()));
    }
}

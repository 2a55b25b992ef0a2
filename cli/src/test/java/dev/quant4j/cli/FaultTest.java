package dev.quant4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.quant4j.io.SafetensorsReader;
import dev.quant4j.io.SafetensorsWriter;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** What the environment does to a run: files changing under it, signals, full disks, closed pipes. */
class FaultTest {
    @TempDir
    Path dir;

    Path floats(String name, int n) throws IOException {
        Path f = dir.resolve(name);
        SafetensorsWriter.write(f, Map.of(), List.of(CliTest.f32("w", new float[n])));
        return f;
    }

    /** Opens its input the way the file commands do, then has it truncated before reading a tensor. */
    @Command(name = "truncating")
    static final class TruncatedWhileMapped extends FileCommand {
        Path file;

        @Override
        int execute() throws Exception {
            try (SafetensorsReader r = open(file)) {
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    ch.truncate(8);
                }
                begin(Progress.start(err(), Progress.Mode.NEVER, "read", 1), "w");
                r.readFloats(r.tensors().getFirst());
            }
            return Main.OK;
        }
    }

    @Test
    void anInputTruncatedWhileMappedIsReportedByName() throws IOException {
        TruncatedWhileMapped cmd = new TruncatedWhileMapped();
        // 64 KiB of data: the pages past the new end of the file fault when read.
        cmd.file = floats("cut.safetensors", 1 << 14);
        long size = Files.size(cmd.file);
        StringWriter err = new StringWriter();
        CommandLine cl = Main.configure(new CommandLine(cmd));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute();
        assertEquals(1, code, err.toString());
        List<String> lines = err.toString().lines().toList();
        assertEquals(1, lines.size(), err.toString());
        assertEquals(
                "truncating: " + cmd.file + " was truncated while it was being read (" + size + " bytes when "
                        + "opened, 8 now) (at tensor 'w'); nothing was written. Let whatever writes the file finish, then run "
                        + "again",
                lines.getFirst());
        assertFalse(err.toString().contains("InternalError"), err.toString());
    }

    List<String> folder() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    record Child(int code, String out, String err) {}

    /** The CLI in its own JVM, its stdout to {@code stdout} (or captured when null), after a shell prefix. */
    Child child(File stdout, List<String> prefix, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(ChildCli.command(List.of(), args));
        Path out = dir.resolve("child.out");
        Path err = dir.resolve("child.err");
        Process p = new ProcessBuilder(cmd)
                .redirectOutput(stdout == null ? out.toFile() : stdout)
                .redirectError(err.toFile())
                .start();
        int code = p.waitFor();
        Child c = new Child(
                code,
                stdout == null ? Files.readString(out) : "",
                Files.readString(err)
                        .lines()
                        .filter(l -> !l.startsWith("WARNING: Using incubator modules"))
                        .reduce("", (a, b) -> a + b + "\n"));
        Files.deleteIfExists(out);
        Files.delete(err);
        return c;
    }

    @Test
    void aWriteErrorOnStdoutFailsTheCommand() throws Exception {
        Path f = floats("m.safetensors", 16);
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("No space left on device");
            }
        }));
        assertEquals(1, Main.execute(cl, "inspect", f.toString()), err.toString());
        assertTrue(err.toString().startsWith("quant4j: could not write to standard output"), err.toString());

        Child full = child(new File("/dev/full"), List.of(), "inspect", f.toString());
        assertEquals(1, full.code(), full.err());
        assertTrue(full.err().startsWith("quant4j: could not write to standard output"), full.err());
    }

    @Test
    void aFileSizeLimitIsSaidInWordsAndLeavesNothing() throws Exception {
        Path in = floats("m.safetensors", 1 << 18);
        Path out = dir.resolve("m.q.safetensors");
        // 64 KiB (ulimit -f counts KiB) against a q8s output of 256 KiB.
        Child c = child(
                null,
                List.of("bash", "-c", "ulimit -f 64; exec \"$@\"", "bash"),
                "quantize",
                in.toString(),
                out.toString(),
                "--scheme",
                "q8s");
        assertEquals(1, c.code(), c.err());
        assertEquals(
                "quant4j quantize: the file grew past the file-size limit (ulimit -f) or the largest file the file "
                        + "system holds writing " + out + "; nothing was written\n",
                c.err());
        assertEquals(List.of("m.safetensors"), folder());
    }

    @Test
    void aFullDiskIsSaidInWordsAndLeavesNothing() throws Exception {
        Path in = floats("m.safetensors", 1 << 18);
        Path small = dir.resolve("small");
        Files.createDirectory(small);
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=128k", "tmpfs", small.toString())
                .redirectErrorStream(true)
                .start();
        assumeTrue(
                mount.waitFor() == 0,
                "needs root to mount a small tmpfs: "
                        + new String(mount.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        try {
            Path out = small.resolve("m.q.safetensors");
            CliTest.Result r = CliTest.quantize(in, out, "q8s");
            assertEquals(1, r.code(), r.err());
            assertEquals(
                    "quant4j quantize: no space left on device writing " + out + "; nothing was written",
                    r.errorLine());
            try (Stream<Path> s = Files.list(small)) {
                assertEquals(List.of(), s.toList());
            }
        } finally {
            new ProcessBuilder("umount", small.toString()).start().waitFor();
        }
    }

    @Test
    void sigtermDuringQuantizeLeavesNoTemporaryFile() throws Exception {
        // 2 GiB of F32 in a sparse file, copied as it is (--skip '*'): long enough to be stopped mid-write.
        String header = "{\"big\":{\"dtype\":\"F32\",\"shape\":[536870912],\"data_offsets\":[0,2147483648]}}";
        Path in = dir.resolve("big.safetensors");
        Files.write(in, HostileInputTest.file(header, new byte[0]));
        try (RandomAccessFile f = new RandomAccessFile(in.toFile(), "rw")) {
            f.setLength(f.length() + (1L << 31));
        }
        Path out = dir.resolve("big.out.safetensors");
        List<String> cmd = ChildCli.command(
                List.of(), "quantize", in.toString(), out.toString(), "--scheme", "q8s", "--skip", "*");
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("child.log").toFile())
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (folder().stream().noneMatch(n -> n.endsWith(".tmp")) && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assumeTrue(!Files.exists(out), "the copy finished before the signal; nothing was tested");
        assertEquals(List.of("big.safetensors", "child.log"), folder());
    }
}

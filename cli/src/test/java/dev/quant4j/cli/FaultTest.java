package dev.quant4j.cli;

import dev.quant4j.io.Dtype;
import dev.quant4j.io.SafetensorsReader;
import dev.quant4j.io.SafetensorsWriter;
import dev.quant4j.io.TensorSpec;
import dev.quant4j.tensor.FloatTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the environment does to a run: files changing under it, signals, full disks, closed pipes. */
class FaultTest {
    @TempDir
    Path dir;

    Path floats(String name, int n) throws IOException {
        Path f = dir.resolve(name);
        SafetensorsWriter.write(f, Map.of(), List.of(TensorSpec.floats("w", FloatTensor.vector(new float[n]), Dtype.F32)));
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
        assertEquals("truncating: " + cmd.file + " was truncated (" + size + " bytes when opened, 8 now) while quant4j "
                + "was reading it (tensor 'w'); nothing was written. Let whatever writes the file finish, then run again"
                + " (run with -v for the stack trace)", lines.getFirst());
        assertFalse(err.toString().contains("InternalError"), err.toString());
    }
}

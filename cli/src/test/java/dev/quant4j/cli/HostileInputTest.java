package dev.quant4j.cli;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static dev.quant4j.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Files made to mislead: each must end in exit 2 and one line that names the fault, never in a wrong
 * report, a hang, an exception class or text that drives the terminal.
 */
class HostileInputTest {
    @TempDir
    Path dir;

    /** A safetensors file from its header text and data bytes. */
    static byte[] file(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(h.length).put(h).put(data).array();
    }

    Path write(String name, String header, byte[] data) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, file(header, data));
        return f;
    }

    @Test
    void aQuantizedTensorWhoseElementCountWrapsIsRejected() throws IOException {
        // 65536^4 = 2^64 is 0 in a long: unchecked, inspect listed a valid, empty tensor.
        Path f = write("wrap.safetensors", "{\"__metadata__\":{\"quant4j.q\":\"{\\\"scheme\\\":\\\"q8s:tensor:f32:u32\\\","
                + "\\\"shape\\\":[65536,65536,65536,65536]}\"},\"q\":{\"dtype\":\"U32\",\"shape\":[0],\"data_offsets\":[0,0]},"
                + "\"q.__scales\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", new byte[4]);
        CliTest.Result r = run("inspect", f.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.errorLine().contains("more elements than a long counts"), r.err());
    }

    @Test
    void aMegabyteTensorNameDoesNotHangTheGlobs() throws IOException {
        String name = "a".repeat(1 << 20);
        Path f = write("long.safetensors", "{\"" + name + "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                new byte[4]);
        Path out = dir.resolve("long.q.safetensors");
        CliTest.Result r = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> run("quantize", f.toString(),
                out.toString(), "--scheme", "q8s", "--rule", "*a*a*a*a*b=q4f", "--skip", "*a*a*a*a*c", "-q"));
        assertEquals(0, r.code(), r.err());
    }

    /** ESC ]0; sets the window title, ESC [2J clears the screen, U+202E reverses the line, U+009B is CSI. */
    static final String EVIL = "w\u001b]0;owned\u0007\u001b[2J\u202eb\u009b1m\r";
    static final String EVIL_SHOWN = "w\\x1b]0;owned\\x07\\x1b[2J\\u202eb\\x9b1m\\r";

    /** Nothing but printable ASCII and line ends (the test's names are ASCII apart from the evil characters). */
    static void assertPrintable(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            assertTrue(c == '\n' || (c >= 0x20 && c < 0x7F), "character U+" + Integer.toHexString(c) + " at " + i
                    + " reached the terminal: " + s);
        }
    }

    Path evilFile(String dtype, int begin) throws IOException {
        String name = new Gson().toJson(EVIL);
        return write("evil-" + dtype + begin + ".safetensors", "{\"__metadata__\":{" + name + ":" + name + "}," + name
                + ":{\"dtype\":\"" + dtype + "\",\"shape\":[1],\"data_offsets\":[" + begin + "," + (begin + 4) + "]}}",
                new byte[begin + 4]);
    }

    @Test
    void namesFromTheFileAreEscapedInTheTable() throws IOException {
        CliTest.Result r = run("inspect", evilFile("F32", 0).toString());
        assertEquals(0, r.code(), r.err());
        assertPrintable(r.out());
        assertTrue(r.out().contains(EVIL_SHOWN), r.out());
    }

    @Test
    void jsonOutputEscapesEveryControlCharacterAndKeepsTheValues() throws IOException {
        CliTest.Result r = run("inspect", "--json", evilFile("F32", 0).toString());
        assertEquals(0, r.code(), r.err());
        assertPrintable(r.out());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(EVIL, o.getAsJsonArray("tensors").get(0).getAsJsonObject().get("name").getAsString());
        assertEquals(EVIL, o.getAsJsonObject("metadata").get(EVIL).getAsString());
    }

    @Test
    void namesFromTheFileAreEscapedInErrorsAndWarnings() throws IOException {
        CliTest.Result bad = run("inspect", evilFile("F12", 0).toString());
        assertEquals(2, bad.code(), bad.err());
        assertPrintable(bad.err());
        assertTrue(bad.errorLine().contains("tensor '" + EVIL_SHOWN + "'"), bad.err());

        Path gap = evilFile("F32", 4);
        Path out = dir.resolve("gap.q.safetensors");
        CliTest.Result warned = run("quantize", gap.toString(), out.toString(), "--scheme", "q8s",
                "--progress=always");
        assertEquals(0, warned.code(), warned.err());
        assertPrintable(warned.err());
        assertTrue(warned.err().contains("before tensor '" + EVIL_SHOWN + "'"), warned.err());
    }
}

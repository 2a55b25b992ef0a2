package dev.quant4j.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;

/**
 * Where a tensor's bytes go while a file is written: a buffer in front of the file's channel. The
 * writer counts what each tensor writes and fails when it differs from the size the header announced.
 */
public final class TensorSink {
    private static final int BUFFER = 1 << 20;

    private final WritableByteChannel out;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER).order(ByteOrder.LITTLE_ENDIAN);
    private long written;

    TensorSink(WritableByteChannel out) {
        this.out = out;
    }

    /** What goes into a file, written through a sink. */
    @FunctionalInterface
    public interface FileBody {
        void writeTo(TensorSink sink) throws IOException;
    }

    /**
     * Writes a whole file through a sink, all or nothing ({@link AtomicOutput}: a temporary file renamed
     * into place when the body returns; a failure leaves the destination as it was). For the writers of
     * other formats (GGUF).
     */
    public static void writeFile(java.nio.file.Path destination, FileBody body) throws IOException {
        AtomicOutput.write(destination, ch -> {
            TensorSink sink = new TensorSink(ch);
            body.writeTo(sink);
            sink.flush();
        });
    }

    /** Bytes written through this sink so far. */
    public long written() {
        return written;
    }

    public void write(byte[] bytes) throws IOException {
        write(bytes, 0, bytes.length);
    }

    public void write(byte[] bytes, int offset, int length) throws IOException {
        while (length > 0) {
            if (!buffer.hasRemaining()) {
                flush();
            }
            int n = Math.min(length, buffer.remaining());
            buffer.put(bytes, offset, n);
            offset += n;
            length -= n;
            written += n;
        }
    }

    /** Copies a segment of any size (a mapped tensor of another file, say) without a heap copy. */
    public void write(MemorySegment segment) throws IOException {
        flush();
        long size = segment.byteSize();
        for (long pos = 0; pos < size; pos += BUFFER) {
            ByteBuffer chunk =
                    segment.asSlice(pos, Math.min(BUFFER, size - pos)).asByteBuffer();
            while (chunk.hasRemaining()) {
                out.write(chunk);
            }
        }
        written += size;
    }

    /**
     * Writes float32 values as F32, F16 or BF16. The 16-bit types round to nearest, ties to even (the
     * usual cast), so values that are exact in the target type round-trip unchanged.
     */
    public void writeFloats(float[] values, Dtype as) throws IOException {
        int width = switch (as) {
            case F32 -> 4;
            case F16, BF16 -> 2;
            default -> throw new IllegalArgumentException("floats can be written as F32, F16 or BF16, not " + as);
        };
        for (float v : values) {
            if (buffer.remaining() < width) {
                flush();
            }
            switch (as) {
                case F32 -> buffer.putFloat(v);
                case F16 -> buffer.putShort(Float.floatToFloat16(v));
                default -> buffer.putShort(toBf16(v));
            }
        }
        written += (long) values.length * width;
    }

    /** Float32 to bfloat16, round to nearest even; NaN stays a (quiet) NaN. */
    static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    /** Writes one little-endian value of {@code bytes} bytes (1, 2 or 4). */
    void writeLittleEndian(int value, int bytes) throws IOException {
        if (buffer.remaining() < 4) {
            flush();
        }
        switch (bytes) {
            case 1 -> buffer.put((byte) value);
            case 2 -> buffer.putShort((short) value);
            case 4 -> buffer.putInt(value);
            default -> throw new IllegalArgumentException("width " + bytes);
        }
        written += bytes;
    }

    void flush() throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
        buffer.clear();
    }
}

package dev.quant4j.calibrate;

import java.io.IOException;
import java.util.Map;

/**
 * Turns calibration records (one line of a calibration file each: a sentence, token ids, ...) into the
 * inputs each linear layer of a model sees, for recorders that run away from the model's own code, such as
 * the Spark job {@code quant4j spark calibrate}: it names an implementation by class, instantiates it with
 * its public no-argument constructor wherever the records are (one instance per thread at a time), calls
 * {@link #open} once with the job's options, then {@link #record} for each record in file order.
 *
 * <p>The sink feeds {@link InputStatistics#add} and the activation observers; a source reports each product's
 * input {@code x [rows, cols]} row-major under the weight's tensor name (the name {@code quant4j quantize}
 * looks the statistics up by). The same record must always report the same values: statistics computed on
 * several machines are only equal to those of one process when the source is deterministic.
 */
public interface CalibrationSource extends AutoCloseable {

    /** Where a source reports a layer's inputs. */
    @FunctionalInterface
    interface InputSink {
        /**
         * The input {@code x [rows, cols]} (row-major, from index 0) that weight {@code path} multiplies.
         *
         * @throws IllegalArgumentException for a NaN or infinite value (the observers refuse them), or
         *                                  {@code cols} other than earlier inputs of {@code path}
         */
        void add(String path, float[] x, int rows, int cols);
    }

    /**
     * Prepares the source (loads the model) with the job's {@code KEY=VALUE} options; called once, before
     * any record.
     */
    void open(Map<String, String> options) throws IOException;

    /** Runs one record through the model, reporting every layer input to {@code sink}. */
    void record(String record, InputSink sink) throws IOException;

    @Override
    default void close() throws IOException {}
}

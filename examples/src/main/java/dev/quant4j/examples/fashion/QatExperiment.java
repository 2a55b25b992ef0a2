package dev.quant4j.examples.fashion;

import dev.quant4j.annotations.ActivationMode;
import dev.quant4j.kernels.Kernels;
import dev.quant4j.model.Quantization;
import dev.quant4j.model.QuantizationReport;
import dev.quant4j.model.WeightField;
import dev.quant4j.qat.ActivationFakeQuantizer;
import dev.quant4j.qat.QatModel;
import dev.quant4j.scheme.QuantScheme;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The experiment of {@code ./quant4j qat}: train the MLP in float32, then for each scheme measure
 * post-training quantization (quantize the float32 weights, evaluate) and quantization-aware training
 * (fine-tune from the float32 weights with fake-quantized weights, convert, evaluate). The last row uses
 * the model's own annotations, int8 static activations included.
 */
final class QatExperiment {
    /** The weight schemes of the table, in text form. */
    static final List<String> SCHEMES = List.of("q8s:tensor", "q4s:block32", "q2s:block32", "e2m1:block32:ue8m0");
    /** The name of the row that uses the annotated schemes (followed by the first layer's scheme). */
    static final String ANNOTATED = "annotated";

    /**
     * @param decayEpochs the last float32 epochs, which run at a tenth of the learning rate so that the
     *                    float32 baseline has settled before it is quantized
     */
    record Options(
            int trainExamples,
            int testExamples,
            int floatEpochs,
            int decayEpochs,
            int qatEpochs,
            int batch,
            float learningRate,
            float qatLearningRate,
            long seed,
            int calibrationBatches,
            List<String> schemes,
            boolean annotatedRow) {
        static Options full() {
            return new Options(60_000, 10_000, 10, 2, 3, 64, 1e-3f, 1e-4f, 12, 50, SCHEMES, true);
        }

        static Options quick() {
            return new Options(4_000, 2_000, 3, 1, 1, 64, 1e-3f, 1e-4f, 12, 20, SCHEMES, true);
        }

        Options with(int floatEpochs, int qatEpochs, long seed, List<String> schemes) {
            return new Options(
                    trainExamples,
                    testExamples,
                    floatEpochs,
                    Math.min(decayEpochs, floatEpochs - 1),
                    qatEpochs,
                    batch,
                    learningRate,
                    qatLearningRate,
                    seed,
                    calibrationBatches,
                    schemes,
                    annotatedRow);
        }
    }

    /**
     * One row: a scheme's accuracy after PTQ and after QAT, the fake-quantized forward's accuracy just
     * before converting (equal to {@code qatAccuracy} by construction; kept to show it), and the bytes of
     * the three quantized weight matrices (codes and scales).
     */
    record Row(
            String scheme,
            double floatAccuracy,
            double ptqAccuracy,
            double qatAccuracy,
            double fakeQuantAccuracy,
            long weightBytes,
            double bitsPerWeight) {}

    /**
     * @param floatFineTunedAccuracy the float32 model trained on for as many epochs as QAT fine-tunes, at the
     *                               QAT learning rate: what the extra epochs alone give, to read QAT against
     */
    record Result(
            Options options,
            double floatAccuracy,
            double floatFineTunedAccuracy,
            List<Double> floatLosses,
            long weightCount,
            List<Row> rows,
            double seconds) {}

    /** What the experiment reports as it goes; the launcher draws a bar from it. */
    interface Listener {
        void stage(String text, long units);

        void advance();
    }

    static Result run(FashionMnist.Data data, Options o, Listener listener) {
        long start = System.nanoTime();
        FashionMnist.Split train = data.train().first(o.trainExamples());
        FashionMnist.Split test = data.test().first(o.testExamples());
        int batchesPerEpoch = (train.count() + o.batch() - 1) / o.batch();

        FashionMlp model = new FashionMlp(FashionMlp.DEFAULT_WIDTHS, o.seed());
        Trainer trainer = new Trainer(model, null, null, o.learningRate());
        List<Double> losses = new ArrayList<>();
        for (int e = 0; e < o.floatEpochs(); e++) {
            if (e == o.floatEpochs() - o.decayEpochs()) {
                trainer.learningRate(o.learningRate() / 10);
            }
            listener.stage("float32 epoch " + (e + 1) + "/" + o.floatEpochs(), batchesPerEpoch);
            losses.add(trainer.epoch(train, o.batch(), o.seed() * 1000 + e, listener::advance));
        }
        double floatAccuracy = Trainer.accuracy(model, null, test);

        FashionMlp tuned = model.copy();
        Trainer tuner = new Trainer(tuned, null, null, o.qatLearningRate());
        for (int e = 0; e < o.qatEpochs(); e++) {
            listener.stage("float32 fine-tune epoch " + (e + 1) + "/" + o.qatEpochs(), batchesPerEpoch);
            tuner.epoch(train, o.batch(), o.seed() * 7919 + e, listener::advance);
        }
        double floatFineTunedAccuracy = Trainer.accuracy(tuned, null, test);

        List<Row> rows = new ArrayList<>();
        for (String text : o.schemes()) {
            QuantScheme scheme = QuantScheme.parse(text).validate();
            rows.add(row(
                    scheme.toString(), model, f -> scheme, floatAccuracy, train, test, o, batchesPerEpoch, listener));
        }
        if (o.annotatedRow()) {
            rows.add(row(
                    ANNOTATED, model, WeightField::scheme, floatAccuracy, train, test, o, batchesPerEpoch, listener));
        }
        return new Result(
                o,
                floatAccuracy,
                floatFineTunedAccuracy,
                losses,
                model.weightCount(),
                rows,
                (System.nanoTime() - start) / 1e9);
    }

    private static Row row(
            String name,
            FashionMlp trained,
            Function<WeightField, QuantScheme> schemes,
            double floatAccuracy,
            FashionMnist.Split train,
            FashionMnist.Split test,
            Options o,
            int batchesPerEpoch,
            Listener listener) {
        // PTQ: the float32 weights quantized as they are; static activation scales from calibration batches.
        listener.stage(name + ": post-training quantization", 1);
        FashionMlp ptq = trained.copy();
        List<WeightField> fields = Quantization.fields(ptq);
        QuantizationReport report = Quantization.quantizeWeights(
                ptq, (path, w, annotated) -> Kernels.active().quantize(path, w, schemes.apply(fieldAt(fields, path))));
        ActivationFakeQuantizer[] ptqActivations = calibratedActivations(trained, fields, schemes, train, o);
        double ptqAccuracy = Trainer.accuracy(ptq, ptqActivations, test);
        listener.advance();

        // QAT: fine-tune a copy of the float32 model through fake quantization, then convert.
        FashionMlp model = trained.copy();
        QatModel qat = QatModel.prepare(model, schemes);
        ActivationFakeQuantizer[] activations = Trainer.activationsOf(qat);
        Trainer trainer = new Trainer(model, qat, activations, o.qatLearningRate());
        for (int e = 0; e < o.qatEpochs(); e++) {
            listener.stage(name + ": QAT epoch " + (e + 1) + "/" + o.qatEpochs(), batchesPerEpoch);
            trainer.epoch(train, o.batch(), o.seed() * 7919 + e, listener::advance);
        }
        qat.freezeObservers();
        double fakeQuantAccuracy = Trainer.accuracy(model, activations, test);
        qat.convert();
        double qatAccuracy = Trainer.accuracy(model, activations, test);
        if (qatAccuracy != fakeQuantAccuracy) {
            throw new IllegalStateException(
                    name + ": the converted model scores " + qatAccuracy + " but its fake-quantized forward scored "
                            + fakeQuantAccuracy + "; convert must keep the weights");
        }
        long bytes = report.totalBytesAfter();
        if (name.equals(ANNOTATED)) {
            name = ANNOTATED + " " + qat.scheme(FashionMlp.weightPath(0));
        }
        return new Row(
                name,
                floatAccuracy,
                ptqAccuracy,
                qatAccuracy,
                fakeQuantAccuracy,
                bytes,
                8.0 * bytes / trained.weightCount());
    }

    private static WeightField fieldAt(List<WeightField> fields, String path) {
        for (WeightField f : fields) {
            if (f.path().equals(path)) {
                return f;
            }
        }
        throw new IllegalArgumentException("no field " + path);
    }

    /**
     * For PTQ with static activations: observers fed the float32 model's layer inputs on the first
     * training batches, then frozen (PyTorch's calibrate step). Null entries where a layer keeps float32.
     */
    private static ActivationFakeQuantizer[] calibratedActivations(
            FashionMlp trained,
            List<WeightField> fields,
            Function<WeightField, QuantScheme> schemes,
            FashionMnist.Split train,
            Options o) {
        ActivationFakeQuantizer[] a = new ActivationFakeQuantizer[3];
        boolean any = false;
        for (int l = 0; l < 3; l++) {
            WeightField f = fieldAt(fields, FashionMlp.weightPath(l));
            QuantScheme s = schemes.apply(f);
            if (s.activations() != ActivationMode.NONE) {
                a[l] = new ActivationFakeQuantizer(f.path(), s.activations(), s.activationCalibration());
                any = true;
            }
        }
        if (!any) {
            return a;
        }
        int batches = Math.min(o.calibrationBatches(), (train.count() + o.batch() - 1) / o.batch());
        for (int k = 0; k < batches; k++) {
            int from = k * o.batch();
            int b = Math.min(o.batch(), train.count() - from);
            float[] x = new float[b * FashionMnist.PIXELS];
            for (int i = 0; i < b; i++) {
                Trainer.pixels(train, from + i, x, i);
            }
            Trainer.forward(trained, a, x, b, null);
        }
        for (ActivationFakeQuantizer q : a) {
            if (q != null) {
                q.freeze();
            }
        }
        return a;
    }
}

package dev.quant4j.processor;

import static com.google.testing.compile.CompilationSubject.assertThat;
import static com.google.testing.compile.Compiler.javac;

import com.google.testing.compile.Compilation;
import com.google.testing.compile.CompilationSubject;
import com.google.testing.compile.JavaFileObjects;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;

/**
 * Every error and warning of the processor: its message, and the line (and for scheme problems the
 * column) it points at, which must be the annotation value at fault. javac places a diagnostic on a
 * value such as {@code QuantStore.NATIVE} at its '.', on a string or array value at its first character.
 */
class DiagnosticsTest {
    private static final String IMPORTS = """
            package demo;

            import dev.quant4j.annotations.*;
            import dev.quant4j.model.QuantizableTensor;
            import java.util.List;

            """;

    private static JavaFileObject source(String className, String body) {
        return JavaFileObjects.forSourceString("demo." + className, IMPORTS + body);
    }

    private static Compilation compile(JavaFileObject... sources) {
        // The project's own lint flags: everything but the notes about unclaimed annotations.
        return javac().withProcessors(new QuantizeProcessor())
                .withOptions("-Xlint:all,-processing,-serial")
                .compile(sources);
    }

    private static Outcome expect(Compilation c) {
        return new Outcome(c, null);
    }

    /** Compiles class {@code M} from {@code body} alone; its diagnostics are looked for in that one file. */
    private static Outcome expect(String body) {
        JavaFileObject m = source("M", body);
        return new Outcome(compile(m), m);
    }

    /**
     * The assertions on one compilation, one call per expectation: counts, and each diagnostic's message
     * (or a part of it), file, line and, where given, column.
     */
    private record Outcome(Compilation c, JavaFileObject only) {
        private static final long NO_COLUMN = -1;

        Outcome succeeded() {
            assertThat(c).succeeded();
            return this;
        }

        Outcome errors(int count) {
            assertThat(c).hadErrorCount(count);
            return this;
        }

        Outcome warnings(int count) {
            assertThat(c).hadWarningCount(count);
            return this;
        }

        Outcome error(JavaFileObject file, long line, String message) {
            return at(assertThat(c).hadErrorContaining(message), file, line, NO_COLUMN);
        }

        Outcome error(JavaFileObject file, long line, long column, String message) {
            return at(assertThat(c).hadErrorContaining(message), file, line, column);
        }

        Outcome errorOnLineContaining(JavaFileObject file, String lineText, String message) {
            assertThat(c).hadErrorContaining(message).inFile(file).onLineContaining(lineText);
            return this;
        }

        Outcome warning(JavaFileObject file, long line, String message) {
            return at(assertThat(c).hadWarningContaining(message), file, line, NO_COLUMN);
        }

        Outcome warning(JavaFileObject file, long line, long column, String message) {
            return at(assertThat(c).hadWarningContaining(message), file, line, column);
        }

        /** The diagnostic is in {@code file} on {@code line}, and at {@code column} unless that is NO_COLUMN. */
        private Outcome at(
                CompilationSubject.DiagnosticInFile diagnostic, JavaFileObject file, long line, long column) {
            CompilationSubject.DiagnosticAtColumn onLine =
                    diagnostic.inFile(file).onLine(line);
            if (column != NO_COLUMN) {
                onLine.atColumn(column);
            }
            return this;
        }

        // The same, in the one file of expect(String).

        Outcome error(long line, String message) {
            return error(only, line, message);
        }

        Outcome error(long line, long column, String message) {
            return error(only, line, column, message);
        }

        Outcome errorOnLineContaining(String lineText, String message) {
            return errorOnLineContaining(only, lineText, message);
        }

        Outcome warning(long line, String message) {
            return warning(only, line, message);
        }

        Outcome warning(long line, long column, String message) {
            return warning(only, line, column, message);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Scheme problems, reported exactly as QuantScheme.problems() words them

    @Test
    void subByteValueWithNativeStorePointsAtTheStoreValue() {
        expect("""
                class M {
                    @Quantize(value = QuantValue.Q4F,
                              store = QuantStore.NATIVE)
                    float[] w;
                }
                """)
                .errors(1)
                .error(
                        9,
                        33,
                        "Native storage is not supported for sub-byte quantization values (Q4F has 4"
                                + " bits); use store = U32 to pack 8 codes per 32-bit word");
    }

    @Test
    void aStoreFromTheClassDefaultsIsReportedAtTheDefaultsNamingTheField() {
        expect("""
                @QuantizeDefaults(store = QuantStore.NATIVE)
                class M {
                    @Quantize float[] fine;
                    @Quantize(value = QuantValue.Q2S) float[] w;
                }
                """)
                .errors(1)
                .error(
                        7,
                        37,
                        "field 'w': Native storage is not supported for sub-byte quantization values (Q2S"
                                + " has 2 bits)");
    }

    @Test
    void invalidDefaultsAreReportedOnceAtTheDefaults() {
        expect("""
                @QuantizeDefaults(value = QuantValue.E2M1, store = QuantStore.NATIVE)
                class M {
                    @Quantize float[] a;
                    @Quantize float[] b;
                }
                """)
                .errors(1)
                .errorOnLineContaining(
                        "@QuantizeDefaults",
                        "@QuantizeDefaults: Native storage is not supported"
                                + " for sub-byte quantization values (E2M1 has 4 bits)");
    }

    @Test
    void aFieldInheritingInvalidDefaultsGetsNoSecondErrorAndNoWarning() {
        expect("""
                @QuantizeDefaults(level = QuantLevel.BLOCK, blockSize = {})
                class M {
                    @Quantize(value = QuantValue.Q4F) float[] w;
                }
                """).errors(1).warnings(0).error(7, "@QuantizeDefaults: Block level needs at least one block extent");
    }

    @Test
    void blockExtentsBelowOne() {
        expect("""
                class M {
                    @Quantize(level = QuantLevel.BLOCK, blockSize = {4, 0})
                    float[][] w;
                }
                """)
                .errors(1)
                .error(
                        8,
                        53,
                        "Block extent 1 is 0 in [4, 0]; extents must be at least 1; use positive block"
                                + " extents, e.g. blockSize = 32");
    }

    @Test
    void moreThanFiveBlockExtents() {
        expect("""
                class M {
                    @Quantize(level = QuantLevel.BLOCK,
                              blockSize = {2, 2, 2, 2, 2, 2})
                    QuantizableTensor w;
                }
                """)
                .errors(1)
                .errorOnLineContaining(
                        "blockSize = {2, 2",
                        "A block has at most 5 extents, got 6 [2, 2, 2, 2," + " 2, 2]; drop extents");
    }

    @Test
    void blockLevelWithoutExtents() {
        expect("""
                class M {
                    @Quantize(level = QuantLevel.BLOCK, blockSize = {})
                    QuantizableTensor w;
                }
                """).error(8, "Block level needs at least one block extent");
    }

    @Test
    void aBlockWithMoreExtentsThanTheFieldHasDimensions() {
        expect("""
                class M {
                    @Quantize(level = QuantLevel.BLOCK, blockSize = {2, 16}) float[] w;
                    @Quantize(level = QuantLevel.BLOCK, blockSize = {2, 2, 16}) float[][] rows;
                    int r, c;
                    @Quantize(level = QuantLevel.BLOCK, blockSize = {2, 16}) @Dims({"r", "c"}) float[] matrix;
                }
                """)
                .errors(2)
                .error(
                        8,
                        "block block2x16 has 2 extents but field 'w' is a float[] vector (1 dimension); declare"
                                + " its shape with @Dims({\"rows\", \"cols\"}), or use a block with at most 1 extent")
                .error(
                        9,
                        "block block2x2x16 has 3 extents but field 'rows' is a tensor of rank 2; use a block"
                                + " with at most 2 extents");
    }

    @Test
    void unreadableSchemeText() {
        expect("""
                class M {
                    @Quantize(scheme = "q4f:blok32") float[] w;
                    @Quantize(scheme = "q8s:f16:f32") float[] v;
                }
                """)
                .errors(2)
                .error(8, 24, "cannot read scheme 'q4f:blok32': 'blok32' is not a scheme part")
                .error(
                        9,
                        "cannot read scheme 'q8s:f16:f32': it gives the param twice ('f16' and 'f32'); keep"
                                + " one param");
    }

    @Test
    void aSchemeTextWithAnInvalidCombinationPointsAtTheSchemeValue() {
        expect("""
                class M {
                    @Quantize(scheme = "q2f:native") float[] w;
                }
                """).error(8, 24, "Native storage is not supported for sub-byte quantization values (Q2F has 2 bits)");
    }

    @Test
    void aSearchCalibrationOnAFloatValuePointsAtTheCalibrationValue() {
        expect("""
                class M {
                    @Quantize(value = QuantValue.E4M3, calibration = Calibration.MSE) float[] w;
                }
                """)
                .errors(1)
                .error(
                        8,
                        65,
                        "Calibration MSE searches integer codes; E4M3 is a float value; use an"
                                + " integer value (q8f q8s q4f q4s q2f q2s) with MSE, or calibration = MIN_MAX");
    }

    @Test
    void aSearchCalibrationInSchemeTextIsCheckedLikeTheOtherParts() {
        expect("""
                class M {
                    @Quantize(scheme = "e2m1:block32:ue8m0:imatrix") float[] w;
                }
                """).errors(1).error(8, 24, "Calibration IMATRIX searches integer codes; E2M1 is a float value");
        JavaFileObject good = source("N", """
                class N {
                    @Quantize(scheme = "q4f:block32:f16:mse") float[] w;
                    @Quantize(value = QuantValue.Q4F, level = QuantLevel.BLOCK, calibration = Calibration.MSE) float[] v;
                }
                """);
        assertThat(compile(good)).succeededWithoutWarnings();
    }

    @Test
    void theAffineModeOnASymmetricValuePointsAtTheModeValue() {
        expect("""
                class M {
                    @Quantize(value = QuantValue.Q4S, mode = QuantMode.AFFINE) float[] w;
                }
                """)
                .errors(1)
                .error(
                        8,
                        55,
                        "Affine mode uses all 16 codes of 4 bits (0 to 15), and Q4S is a symmetric"
                                + " value that leaves one out; use value = Q4F with mode = AFFINE, or mode = SYMMETRIC");
    }

    @Test
    void theAffineModeInSchemeTextIsCheckedLikeTheOtherParts() {
        expect("""
                class M {
                    @Quantize(scheme = "q4f:block32:ue8m0:affine") float[] w;
                    @Quantize(value = QuantValue.Q8F, param = QuantParam.UE8M0, mode = QuantMode.AFFINE) float[] v;
                }
                """)
                .errors(2)
                .error(
                        8,
                        24,
                        "Affine mode stores a signed offset per block in the param type, and UE8M0"
                                + " holds only positive powers of two; use f16, bf16 or f32 instead of ue8m0 with affine")
                .error(
                        9,
                        57,
                        "UE8M0 holds only positive powers of two; use param = F16, BF16 or F32 with"
                                + " mode = AFFINE");
        JavaFileObject good = source("N", """
                class N {
                    @Quantize(scheme = "q4f:block32:f16:affine") float[] w;
                    @Quantize(value = QuantValue.Q4F, level = QuantLevel.BLOCK, param = QuantParam.F16,
                            mode = QuantMode.AFFINE) float[] v;
                }
                """);
        assertThat(compile(good)).succeededWithoutWarnings();
    }

    // ---------------------------------------------------------------------------------------------
    // Named schemes

    private static final String CONFIG = """
            @QuantizationConfig
            final class Schemes {
                static final String ATTENTION = "q4f:block32:f16";
                static final String EMBEDDING = "q8s:block32:f16";
            }
            """;

    @Test
    void anUnknownSchemeNameIsAnErrorWithTheKnownNames() {
        JavaFileObject schemes = source("Schemes", CONFIG);
        JavaFileObject m = source("M", """
                class M {
                    @Quantize(scheme = "ATENTION") float[] w;
                }
                """);
        expect(compile(schemes, m))
                .errors(1)
                .error(
                        m,
                        8,
                        24,
                        "unknown scheme name 'ATENTION': no @QuantizationConfig constant of that name is"
                                + " visible from M (known: ATTENTION, EMBEDDING); did you mean ATTENTION?");
    }

    @Test
    void aMistypedLowerCaseNameAlsoShowsWhyItIsNotSchemeText() {
        expect("""
                class M {
                    @Quantize(scheme = "q4x") float[] w;
                }
                """)
                .error(8, "unknown scheme name 'q4x'")
                .error(8, "(as scheme text: cannot read scheme 'q4x': 'q4x' is not a scheme part");
    }

    @Test
    void aNameDeclaredInTwoConfigsMustBeQualified() {
        JavaFileObject schemes = source("Schemes", CONFIG);
        JavaFileObject other = source("Other", """
                @QuantizationConfig
                final class Other {
                    static final String ATTENTION = "q8s";
                }
                """);
        JavaFileObject m = source("M", """
                class M {
                    @Quantize(scheme = "ATTENTION") float[] w;
                    @Quantize(scheme = "Other.ATTENTION") float[] v;
                }
                """);
        expect(compile(schemes, other, m))
                .errors(1)
                .error(
                        m,
                        8,
                        "scheme name 'ATTENTION' is declared in demo.Other and demo.Schemes; qualify it, e.g."
                                + " \"Other.ATTENTION\"");
    }

    @Test
    void anInvalidConfigConstantIsReportedAtTheConstant() {
        JavaFileObject schemes = source("Schemes", """
                @QuantizationConfig
                final class Schemes {
                    static final String GOOD = "q8s";
                    static final String SUB_BYTE_NATIVE = "q2s:native";
                    static final String TYPO = "q8s:blok32";
                    static final String COMPUTED = String.valueOf("q8s");
                }
                """);
        expect(compile(schemes))
                .errors(3)
                .error(
                        schemes,
                        10,
                        "scheme constant SUB_BYTE_NATIVE = \"q2s:native\": Native storage is not"
                                + " supported for sub-byte quantization values (Q2S has 2 bits); write u32 instead of native"
                                + " to pack 16 codes per 32-bit word")
                .error(schemes, 11, "scheme constant TYPO: cannot read scheme 'q8s:blok32'")
                .error(schemes, 12, "scheme constant COMPUTED has no compile-time value");
    }

    // ---------------------------------------------------------------------------------------------
    // Conflicts

    @Test
    void conflictingDefaults() {
        expect("""
                @QuantizeDefaults(scheme = "q8s:f16", value = QuantValue.Q4F)
                class M {
                    @Quantize float[] w;
                }
                """)
                .errors(1)
                .error(
                        7,
                        57,
                        "conflicting defaults: @QuantizeDefaults sets scheme = \"q8s:f16\" and value; a"
                                + " scheme sets value, level, blockSize, param and store all at once, so give either the"
                                + " scheme or the attributes");
    }

    @Test
    void aFieldWithBothSchemeAndAttributes() {
        expect("""
                class M {
                    @Quantize(scheme = "q8s:f16", param = QuantParam.BF16) float[] w;
                }
                """)
                .error(
                        8,
                        53,
                        "@Quantize on 'w' sets scheme = \"q8s:f16\" and param; a scheme sets value, level,"
                                + " blockSize, param and store all at once");
    }

    // ---------------------------------------------------------------------------------------------
    // Fields

    @Test
    void aFieldTypeThatCannotBeQuantized() {
        expect("""
                class M {
                    @Quantize double[] w;
                    @Quantize List<Float> v;
                }
                """)
                .errors(2)
                .error(
                        8,
                        "@Quantize cannot quantize field 'w' of type double[]: use float[], float[][] (the rows"
                                + " of a matrix) or dev.quant4j.model.QuantizableTensor")
                .error(9, "@Quantize cannot quantize field 'v' of type java.util.List<java.lang.Float>");
    }

    @Test
    void finalAndStaticFields() {
        expect("""
                class M {
                    @Quantize final float[] w = new float[4];
                    @Quantize static float[] shared;
                    final float[] bias = new float[4];
                }
                """)
                .errors(3)
                .error(8, "@Quantize field 'w' is final: quantizing replaces its value")
                .error(9, "@Quantize field 'shared' is static: only instance fields are model weights")
                .error(
                        10,
                        "weight field 'bias' is final: importing state replaces its value (a plain array with"
                                + " null while the agent holds the quantized data, a holder with a new one); remove final;"
                                + " or mark it transient to leave it out of the model's state");
    }

    @Test
    void privateFieldsNeedAccessors() {
        expect("""
                class M {
                    @Quantize private float[] w;
                    @Quantize private QuantizableTensor t;
                    private float[] bias;
                    @Quantize private float[] withAccessors;

                    QuantizableTensor getT() { return t; }
                    float[] getWithAccessors() { return withAccessors; }
                    void setWithAccessors(float[] v) { withAccessors = v; }
                }
                """)
                .errors(3)
                .error(
                        8,
                        "field 'w' is private and the generated M_Quantization (same package) cannot reach it:"
                                + " add non-private accessors getW() and setW(float[]), or make the field package-private")
                .error(9, "add non-private accessors getT() and setT(QuantizableTensor)")
                .error(
                        10,
                        "field 'bias' is private and the generated M_Quantization (same package) cannot reach"
                                + " it: add non-private accessors getBias() and setBias(float[]), or make the field"
                                + " package-private; or mark it transient to leave it out of the model's state");
    }

    @Test
    void aPrivateModuleFieldNeedsAGetter() {
        JavaFileObject m = source("M", """
                class M {
                    @Quantize float[] w;
                    private Sub sub;
                }
                """);
        JavaFileObject sub = source("Sub", """
                class Sub {
                    @Quantize QuantizableTensor t;
                }
                """);
        expect(compile(m, sub))
                .errors(1)
                .error(
                        m,
                        9,
                        "field 'sub' is private and the generated M_Quantization (same package) cannot reach"
                                + " it: add non-private accessors getSub(), or make the field package-private; or mark it"
                                + " transient to leave its weights out of the model");
    }

    // ---------------------------------------------------------------------------------------------
    // @Dims

    @Test
    void dimsMustNameIntFieldsOrPositiveSizes() {
        expect("""
                class M {
                    int rows;
                    float cols;
                    @Quantize @Dims({"rows", "colz"}) float[] a;
                    @Quantize @Dims({"rows", "cols"}) float[] b;
                    @Quantize @Dims({"0", "4"}) float[] c;
                    @Quantize @Dims({}) float[] d;
                    @Quantize @Dims({"rows", "16"}) float[] fine;
                }
                """)
                .errors(4)
                .error(
                        10,
                        21,
                        "@Dims entry 'colz' on 'a' is neither a positive integer nor an int field of M"
                                + " that the generated visitor can read")
                .error(11, "@Dims entry 'cols' on 'b'")
                .error(12, "@Dims entry '0' on 'c'")
                .error(
                        13,
                        "@Dims on 'd' names no dimension: give the shape outermost first, e.g."
                                + " @Dims({\"rows\", \"cols\"})");
    }

    @Test
    void dimsOnlyFitPlainVectorsOfModelClasses() {
        JavaFileObject m = source("M", """
                class M {
                    @Quantize @Dims({"4", "4"}) float[][] rows;
                    @Quantize @Dims({"4", "4"}) QuantizableTensor t;
                }
                """);
        JavaFileObject plain = source("Plain", """
                class Plain {
                    @Dims({"4", "4"}) float[] w;
                }
                """);
        expect(compile(m, plain))
                .errors(3)
                .error(
                        m,
                        8,
                        "@Dims applies to float[] fields only, and 'rows' is float[][]: a float[][] field takes"
                                + " [rows, cols] from the array; remove @Dims")
                .error(
                        m,
                        9,
                        "and 't' is dev.quant4j.model.QuantizableTensor: a QuantizableTensor carries its own"
                                + " shape")
                .error(
                        plain,
                        8,
                        "@Dims on 'w' has no effect: Plain is not a model class (no @Quantize field,"
                                + " @QuantModule or @QuantizeDefaults); mark the class @QuantModule");
    }

    // ---------------------------------------------------------------------------------------------
    // Classes

    @Test
    void modelClassesTheGeneratedCodeCannotName() {
        JavaFileObject outer = source("Outer", """
                class Outer {
                    private static class Hidden {
                        @Quantize float[] w;
                    }
                    static class Generic<T> {
                        @Quantize float[] w;
                    }
                    record Rec(@Quantize float[] w) {
                    }
                }
                """);
        expect(compile(outer))
                .errors(3)
                .error(
                        outer,
                        8,
                        "model class demo.Outer.Hidden is private: the generated Outer_Hidden_Quantization"
                                + " in the same package cannot reach it; make it package-private")
                .error(outer, 11, "generic model class Generic is not supported")
                .error(outer, 14, "record Rec cannot be a model class");
    }

    // ---------------------------------------------------------------------------------------------
    // Warnings

    @Test
    void twoBitValuesOnBiasOrNormFields() {
        expect("""
                class M {
                    @Quantize(value = QuantValue.Q2S) float[] attnNormWeight;
                    @Quantize(value = QuantValue.Q2F) float[] bias;
                    @Quantize(value = QuantValue.Q2F) float[] weight;
                    @SuppressWarnings("quant4j")
                    @Quantize(value = QuantValue.Q2F) float[] ln1;
                }
                """)
                .succeeded()
                .warnings(2)
                .warning(
                        8,
                        33,
                        "field 'attnNormWeight' looks like a bias or a normalization weight: 2-bit values"
                                + " (Q2S) keep only 3 levels, which usually ruins these small, sensitive tensors; use Q8S or"
                                + " Q4S, or leave the field unquantized")
                .warning(
                        9,
                        "field 'bias' looks like a bias or a normalization weight: 2-bit values (Q2F) keep"
                                + " only 4 levels");
    }

    @Test
    void aTwoBitDefaultIsWarnedAboutAtTheFieldSoThatItCanBeSuppressedThere() {
        expect("""
                @QuantizeDefaults(value = QuantValue.Q2S)
                class M {
                    @Quantize float[] w;
                    @Quantize float[] layerNorm;
                }
                """)
                .succeeded()
                .warnings(1)
                .warning(10, "field 'layerNorm' looks like a bias or a normalization weight");
    }

    @Test
    void subByteBlocksThatDoNotFillWholeWords() {
        expect("""
                class M {
                    @Quantize(value = QuantValue.Q4F, level = QuantLevel.BLOCK, blockSize = 12) float[] w;
                    @Quantize(value = QuantValue.Q2S, level = QuantLevel.BLOCK, blockSize = 24) float[] v;
                    @Quantize(value = QuantValue.Q4F, level = QuantLevel.BLOCK, blockSize = {3, 16}) float[][] fine;
                    @Quantize(value = QuantValue.Q8S, level = QuantLevel.BLOCK, blockSize = 12) float[] eightBit;
                }
                """)
                .succeeded()
                .warnings(2)
                .warning(
                        8,
                        77,
                        "block extent 12 does not fill whole 32-bit words with 4-bit codes (U32 store"
                                + " packs 8 per word), so blocks straddle word boundaries and fused kernels cannot take a"
                                + " block as whole words; use a multiple of 8, e.g. 32")
                .warning(
                        9,
                        "block extent 24 does not fill whole 32-bit words with 2-bit codes (U32 store packs"
                                + " 16 per word)");
    }

    @Test
    void aBlockSizeAtTheTensorLevelIsIgnored() {
        expect("""
                class M {
                    @Quantize(value = QuantValue.Q4S, blockSize = 64) float[] w;
                }
                """)
                .succeeded()
                .warnings(1)
                .warning(
                        8,
                        51,
                        "blockSize [64] is ignored at the tensor level: add level = BLOCK to quantize"
                                + " per block, or remove blockSize");
    }

    // ---------------------------------------------------------------------------------------------
    // Activation quantization: the same QuantScheme rules, at the annotation value at fault

    @Test
    void staticActivationsNeedACalibrationMethod() {
        expect("""
                class M {
                    @Quantize(activations = ActivationMode.STATIC) float[][] w;
                    @Quantize(activations = ActivationMode.STATIC,
                              activationCalibration = ActivationCalibration.PERCENTILE) float[][] fine;
                }
                """)
                .errors(1)
                .error(
                        8,
                        43,
                        "Static activation quantization needs a calibration method to find its frozen scales;"
                                + " set activationCalibration = MIN_MAX, MOVING_AVERAGE_MIN_MAX, PERCENTILE or ENTROPY");
    }

    @Test
    void anActivationCalibrationWithoutStaticMode() {
        expect("""
                class M {
                    @Quantize(activations = ActivationMode.DYNAMIC,
                              activationCalibration = ActivationCalibration.ENTROPY) float[][] w;
                }
                """)
                .errors(1)
                .error(
                        9,
                        60,
                        "Activation calibration ENTROPY is only used by static activation quantization, and"
                                + " the activations are DYNAMIC; set activations = STATIC, or remove activationCalibration");
    }

    @Test
    void quantizedActivationsNeedIntegerWeights() {
        expect("""
                class M {
                    @Quantize(value = QuantValue.E4M3, activations = ActivationMode.DYNAMIC) float[][] w;
                    @Quantize(scheme = "e2m1:block32:a8static:minmax") float[][] v;
                    @Quantize(value = QuantValue.Q4S, activations = ActivationMode.DYNAMIC) float[][] fine;
                }
                """)
                .errors(2)
                .error(
                        8,
                        68,
                        "DYNAMIC activation quantization multiplies int8 activations by integer weight"
                                + " codes, and E4M3 is a float value; use an integer value (Q8S, Q8F, Q4S, Q4F, Q2S, Q2F), or"
                                + " activations = NONE")
                .error(
                        9,
                        24,
                        "STATIC activation quantization multiplies int8 activations by integer weight codes,"
                                + " and E2M1 is a float value; use an integer value (q8s q8f q4s q4f q2s q2f), or remove"
                                + " a8static");
    }

    @Test
    void quantizedActivationsNeedAWeightMatrix() {
        expect("""
                class M {
                    int rows, cols;
                    @Quantize(activations = ActivationMode.DYNAMIC) float[] bias;
                    @Quantize(activations = ActivationMode.DYNAMIC) @Dims({"rows", "cols"}) float[] matrix;
                    @Quantize(activations = ActivationMode.DYNAMIC) QuantizableTensor holder;
                }
                """)
                .errors(1)
                .error(
                        9,
                        43,
                        "DYNAMIC activation quantization is for the [out, in] weight matrix of a linear layer,"
                                + " and the tensor has 1 dimension; leave this field's activations at NONE");
    }

    @Test
    void activationsFromTheClassDefaultsAreReportedAtTheDefaultsNamingTheField() {
        expect("""
                @QuantizeDefaults(value = QuantValue.Q4F, level = QuantLevel.BLOCK,
                                  activations = ActivationMode.DYNAMIC)
                class M {
                    @Quantize float[][] w;
                    @Quantize float[] bias;
                    @Quantize(activations = ActivationMode.NONE) float[] gamma;
                }
                """)
                .errors(1)
                .error(
                        8,
                        47,
                        "field 'bias': DYNAMIC activation quantization is for the [out, in] weight matrix of"
                                + " a linear layer, and the tensor has 1 dimension; leave this field's activations at NONE");
    }

    @Test
    void aSchemeAndActivationAttributesGoTogetherUnlessTheSchemeGivesActivationsToo() {
        JavaFileObject schemes = source("Schemes", CONFIG);
        JavaFileObject m = source("M", """
                class M {
                    @Quantize(scheme = "ATTENTION", activations = ActivationMode.DYNAMIC) float[][] w;
                    @Quantize(scheme = "q8s:a8dyn", activations = ActivationMode.STATIC) float[][] twice;
                }
                """);
        expect(compile(schemes, m))
                .errors(1)
                .error(
                        m,
                        9,
                        65,
                        "@Quantize on 'twice' sets scheme = \"q8s:a8dyn\", whose text gives the activations"
                                + " (q8s:tensor:f32:u32:a8dyn), and activations; give the activations either in the scheme or"
                                + " as attributes");

        JavaFileObject ok = source("Ok", """
                class Ok {
                    @Quantize(scheme = "ATTENTION", activations = ActivationMode.DYNAMIC) float[][] w;
                    @Quantize(scheme = "ATTENTION") float[][] v;
                }
                """);
        Compilation c = compile(schemes, ok);
        assertThat(c).succeededWithoutWarnings();
        // The named scheme plus activations is another scheme: written out, not referenced by name.
        assertThat(c)
                .generatedSourceFile("demo.Ok_Quantization")
                .contentsAsUtf8String()
                .contains("W_SCHEME = QuantScheme.parse(\"q4f:block32:f16:u32:a8dyn\");");
        assertThat(c)
                .generatedSourceFile("demo.Ok_Quantization")
                .contentsAsUtf8String()
                .contains("V_SCHEME = QuantScheme.parse(Schemes.ATTENTION);");
    }

    @Test
    void anActivationProblemInAConfigConstantGetsTheTextFix() {
        JavaFileObject schemes = source("Schemes", """
                @QuantizationConfig
                final class Schemes {
                    static final String STATIC_UNCALIBRATED = "q8s:a8static";
                    static final String DYNAMIC = "q8s:block32:a8dyn";
                }
                """);
        expect(compile(schemes))
                .errors(1)
                .error(
                        schemes,
                        9,
                        "scheme constant STATIC_UNCALIBRATED = \"q8s:a8static\": Static activation"
                                + " quantization needs a calibration method to find its frozen scales; add minmax,"
                                + " movingminmax, percentile or entropy");
    }

    // ---------------------------------------------------------------------------------------------
    // Clean models

    @Test
    void aModelUsingEveryFeatureCompilesWithoutWarnings() {
        JavaFileObject schemes = source("Schemes", CONFIG);
        JavaFileObject m = source("M", """
                @QuantizeDefaults(param = QuantParam.F16)
                class M extends Base {
                    int rows = 2, cols = 32;
                    @Quantize(value = QuantValue.Q4F, level = QuantLevel.BLOCK) @Dims({"rows", "cols"}) float[] w;
                    @Quantize(scheme = "ATTENTION") QuantizableTensor t;
                    @Quantize(scheme = Schemes.EMBEDDING) float[][] rows2;
                    @Quantize private float[] hidden;
                    float[] bias;
                    transient float[] scratch;
                    private transient float[] privateScratch;
                    Sub one;
                    Sub[] many;
                    List<Sub> list;
                    private Sub privateSub;
                    static float[] shared;

                    float[] getHidden() { return hidden; }
                    void setHidden(float[] h) { hidden = h; }
                    Sub getPrivateSub() { return privateSub; }
                }
                """);
        JavaFileObject base = source("Base", """
                class Base {
                    @Quantize(value = QuantValue.E5M2) float[] inherited;
                }
                """);
        JavaFileObject sub = source("Sub", """
                @QuantModule
                class Sub {
                    float[] gamma;
                }
                """);
        Compilation c = compile(schemes, m, base, sub);
        assertThat(c).succeededWithoutWarnings();
        assertThat(c)
                .generatedSourceFile("demo.M_Quantization")
                .contentsAsUtf8String()
                .contains("ModelVisitors.visitAs(Base.class, model, path, visitor);");
        assertThat(c).generatedSourceFile("demo.Base_Quantization").isNotNull();
        assertThat(c).generatedSourceFile("demo.Sub_Quantization").isNotNull();
    }
}

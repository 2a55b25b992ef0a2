package dev.quant4j.processor;

import com.google.testing.compile.Compilation;
import com.google.testing.compile.JavaFileObjects;
import org.junit.jupiter.api.Test;

import javax.tools.JavaFileObject;

import static com.google.testing.compile.CompilationSubject.assertThat;
import static com.google.testing.compile.Compiler.javac;

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
        return javac().withProcessors(new QuantizeProcessor()).withOptions("-Xlint:all,-processing,-serial")
                .compile(sources);
    }

    // ---------------------------------------------------------------------------------------------
    // Scheme problems, reported exactly as QuantScheme.problems() words them

    @Test
    void subByteValueWithNativeStorePointsAtTheStoreValue() {
        JavaFileObject m = source("M", """
                class M {
                    @Quantize(value = QuantValue.Q4F,
                              store = QuantStore.NATIVE)
                    float[] w;
                }
                """);
        Compilation c = compile(m);
        assertThat(c).hadErrorCount(1);
        assertThat(c).hadErrorContaining("Native storage is not supported for sub-byte quantization values (Q4F has 4"
                + " bits); use store = U32 to pack 8 codes per 32-bit word").inFile(m).onLine(9).atColumn(33);
    }

    @Test
    void aStoreFromTheClassDefaultsIsReportedAtTheDefaultsNamingTheField() {
        JavaFileObject m = source("M", """
                @QuantizeDefaults(store = QuantStore.NATIVE)
                class M {
                    @Quantize float[] fine;
                    @Quantize(value = QuantValue.Q2S) float[] w;
                }
                """);
        Compilation c = compile(m);
        assertThat(c).hadErrorCount(1);
        assertThat(c).hadErrorContaining("field 'w': Native storage is not supported for sub-byte quantization values"
                + " (Q2S has 2 bits)").inFile(m).onLine(7).atColumn(37);
    }

    @Test
    void invalidDefaultsAreReportedOnceAtTheDefaults() {
        JavaFileObject m = source("M", """
                @QuantizeDefaults(value = QuantValue.E2M1, store = QuantStore.NATIVE)
                class M {
                    @Quantize float[] a;
                    @Quantize float[] b;
                }
                """);
        Compilation c = compile(m);
        assertThat(c).hadErrorCount(1);
        assertThat(c).hadErrorContaining("@QuantizeDefaults: Native storage is not supported for sub-byte quantization"
                + " values (E2M1 has 4 bits)").inFile(m).onLineContaining("@QuantizeDefaults");
    }

    @Test
    void aFieldInheritingInvalidDefaultsGetsNoSecondErrorAndNoWarning() {
        JavaFileObject m = source("M", """
                @QuantizeDefaults(level = QuantLevel.BLOCK, blockSize = {})
                class M {
                    @Quantize(value = QuantValue.Q4F) float[] w;
                }
                """);
        Compilation c = compile(m);
        assertThat(c).hadErrorCount(1);
        assertThat(c).hadWarningCount(0);
        assertThat(c).hadErrorContaining("@QuantizeDefaults: Block level needs at least one block extent").inFile(m)
                .onLine(7);
    }

    @Test
    void blockExtentsBelowOne() {
        JavaFileObject m = source("M", """
                class M {
                    @Quantize(level = QuantLevel.BLOCK, blockSize = {4, 0})
                    float[][] w;
                }
                """);
        Compilation c = compile(m);
        assertThat(c).hadErrorCount(1);
        assertThat(c).hadErrorContaining("Block extent 1 is 0 in [4, 0]; extents must be at least 1; use positive block"
                + " extents, e.g. blockSize = 32").inFile(m).onLine(8).atColumn(53);
    }

    @Test
    void moreThanFiveBlockExtents() {
        JavaFileObject m = source("M", """
                class M {
                    @Quantize(level = QuantLevel.BLOCK,
                              blockSize = {2, 2, 2, 2, 2, 2})
                    QuantizableTensor w;
                }
                """);
        Compilation c = compile(m);
        assertThat(c).hadErrorCount(1);
        assertThat(c).hadErrorContaining("A block has at most 5 extents, got 6 [2, 2, 2, 2, 2, 2]; drop extents")
                .inFile(m).onLineContaining("blockSize = {2, 2");
    }

    @Test
    void blockLevelWithoutExtents() {
        JavaFileObject m = source("M", """
                class M {
                    @Quantize(level = QuantLevel.BLOCK, blockSize = {})
                    QuantizableTensor w;
                }
                """);
        Compilation c = compile(m);
        assertThat(c).hadErrorContaining("Block level needs at least one block extent").inFile(m).onLine(8);
    }

    @Test
    void aBlockWithMoreExtentsThanTheFieldHasDimensions() {
        JavaFileObject m = source("M", """
                class M {
                    @Quantize(level = QuantLevel.BLOCK, blockSize = {2, 16}) float[] w;
                    @Quantize(level = QuantLevel.BLOCK, blockSize = {2, 2, 16}) float[][] rows;
                    int r, c;
                    @Quantize(level = QuantLevel.BLOCK, blockSize = {2, 16}) @Dims({"r", "c"}) float[] matrix;
                }
                """);
        Compilation c = compile(m);
        assertThat(c).hadErrorCount(2);
        assertThat(c).hadErrorContaining("block block2x16 has 2 extents but field 'w' is a float[] vector (1 dimension);"
                + " declare its shape with @Dims({\"rows\", \"cols\"}), or use a block with at most 1 extent")
                .inFile(m).onLine(8);
        assertThat(c).hadErrorContaining("block block2x2x16 has 3 extents but field 'rows' is a tensor of rank 2; use a"
                + " block with at most 2 extents").inFile(m).onLine(9);
    }

    @Test
    void unreadableSchemeText() {
        JavaFileObject m = source("M", """
                class M {
                    @Quantize(scheme = "q4f:blok32") float[] w;
                    @Quantize(scheme = "q8s:f16:f32") float[] v;
                }
                """);
        Compilation c = compile(m);
        assertThat(c).hadErrorCount(2);
        assertThat(c).hadErrorContaining("cannot read scheme 'q4f:blok32': 'blok32' is not a scheme part").inFile(m)
                .onLine(8).atColumn(24);
        assertThat(c).hadErrorContaining("cannot read scheme 'q8s:f16:f32': it gives the param twice ('f16' and 'f32');"
                + " keep one param").inFile(m).onLine(9);
    }

    @Test
    void aSchemeTextWithAnInvalidCombinationPointsAtTheSchemeValue() {
        JavaFileObject m = source("M", """
                class M {
                    @Quantize(scheme = "q2f:native") float[] w;
                }
                """);
        Compilation c = compile(m);
        assertThat(c).hadErrorContaining("Native storage is not supported for sub-byte quantization values (Q2F has 2"
                + " bits)").inFile(m).onLine(8).atColumn(24);
    }

    @Test
    void aSearchCalibrationOnAFloatValuePointsAtTheCalibrationValue() {
        JavaFileObject m = source("M", """
                class M {
                    @Quantize(value = QuantValue.E4M3, calibration = Calibration.MSE) float[] w;
                }
                """);
        Compilation c = compile(m);
        assertThat(c).hadErrorCount(1);
        assertThat(c).hadErrorContaining("Calibration MSE searches integer codes; E4M3 is a float value; use an"
                + " integer value (q8f q8s q4f q4s q2f q2s) with MSE, or calibration = MIN_MAX").inFile(m).onLine(8)
                .atColumn(65);
    }

    @Test
    void aSearchCalibrationInSchemeTextIsCheckedLikeTheOtherParts() {
        JavaFileObject bad = source("M", """
                class M {
                    @Quantize(scheme = "e2m1:block32:ue8m0:imatrix") float[] w;
                }
                """);
        Compilation c = compile(bad);
        assertThat(c).hadErrorCount(1);
        assertThat(c).hadErrorContaining("Calibration IMATRIX searches integer codes; E2M1 is a float value")
                .inFile(bad).onLine(8).atColumn(24);
        JavaFileObject good = source("N", """
                class N {
                    @Quantize(scheme = "q4f:block32:f16:mse") float[] w;
                    @Quantize(value = QuantValue.Q4F, level = QuantLevel.BLOCK, calibration = Calibration.MSE) float[] v;
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
        Compilation c = compile(schemes, m);
        assertThat(c).hadErrorCount(1);
        assertThat(c).hadErrorContaining("unknown scheme name 'ATENTION': no @QuantizationConfig constant of that name"
                + " is visible from M (known: ATTENTION, EMBEDDING); did you mean ATTENTION?").inFile(m).onLine(8)
                .atColumn(24);
    }

    @Test
    void aMistypedLowerCaseNameAlsoShowsWhyItIsNotSchemeText() {
        JavaFileObject m = source("M", """
                class M {
                    @Quantize(scheme = "q4x") float[] w;
                }
                """);
        Compilation c = compile(m);
        assertThat(c).hadErrorContaining("unknown scheme name 'q4x'").inFile(m).onLine(8);
        assertThat(c).hadErrorContaining("(as scheme text: cannot read scheme 'q4x': 'q4x' is not a scheme part")
                .inFile(m).onLine(8);
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
        Compilation c = compile(schemes, other, m);
        assertThat(c).hadErrorCount(1);
        assertThat(c).hadErrorContaining("scheme name 'ATTENTION' is declared in demo.Other and demo.Schemes; qualify"
                + " it, e.g. \"Other.ATTENTION\"").inFile(m).onLine(8);
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
        Compilation c = compile(schemes);
        assertThat(c).hadErrorCount(3);
        assertThat(c).hadErrorContaining("scheme constant SUB_BYTE_NATIVE = \"q2s:native\": Native storage is not"
                + " supported for sub-byte quantization values (Q2S has 2 bits); write u32 instead of native to pack"
                + " 16 codes per 32-bit word").inFile(schemes).onLine(10);
        assertThat(c).hadErrorContaining("scheme constant TYPO: cannot read scheme 'q8s:blok32'").inFile(schemes)
                .onLine(11);
        assertThat(c).hadErrorContaining("scheme constant COMPUTED has no compile-time value").inFile(schemes)
                .onLine(12);
    }

    // ---------------------------------------------------------------------------------------------
    // Conflicts

    @Test
    void conflictingDefaults() {
        JavaFileObject m = source("M", """
                @QuantizeDefaults(scheme = "q8s:f16", value = QuantValue.Q4F)
                class M {
                    @Quantize float[] w;
                }
                """);
        Compilation c = compile(m);
        assertThat(c).hadErrorCount(1);
        assertThat(c).hadErrorContaining("conflicting defaults: @QuantizeDefaults sets scheme = \"q8s:f16\" and value;"
                + " a scheme sets value, level, blockSize, param and store all at once, so give either the scheme or"
                + " the attributes").inFile(m).onLine(7).atColumn(57);
    }

    @Test
    void aFieldWithBothSchemeAndAttributes() {
        JavaFileObject m = source("M", """
                class M {
                    @Quantize(scheme = "q8s:f16", param = QuantParam.BF16) float[] w;
                }
                """);
        Compilation c = compile(m);
        assertThat(c).hadErrorContaining("@Quantize on 'w' sets scheme = \"q8s:f16\" and param; a scheme sets value,"
                + " level, blockSize, param and store all at once").inFile(m).onLine(8).atColumn(53);
    }

    // ---------------------------------------------------------------------------------------------
    // Fields

    @Test
    void aFieldTypeThatCannotBeQuantized() {
        JavaFileObject m = source("M", """
                class M {
                    @Quantize double[] w;
                    @Quantize List<Float> v;
                }
                """);
        Compilation c = compile(m);
        assertThat(c).hadErrorCount(2);
        assertThat(c).hadErrorContaining("@Quantize cannot quantize field 'w' of type double[]: use float[], float[][]"
                + " (the rows of a matrix) or dev.quant4j.model.QuantizableTensor").inFile(m).onLine(8);
        assertThat(c).hadErrorContaining("@Quantize cannot quantize field 'v' of type java.util.List<java.lang.Float>")
                .inFile(m).onLine(9);
    }

    @Test
    void finalAndStaticFields() {
        JavaFileObject m = source("M", """
                class M {
                    @Quantize final float[] w = new float[4];
                    @Quantize static float[] shared;
                    final float[] bias = new float[4];
                }
                """);
        Compilation c = compile(m);
        assertThat(c).hadErrorCount(3);
        assertThat(c).hadErrorContaining("@Quantize field 'w' is final: quantizing replaces its value").inFile(m)
                .onLine(8);
        assertThat(c).hadErrorContaining("@Quantize field 'shared' is static: only instance fields are model weights")
                .inFile(m).onLine(9);
        assertThat(c).hadErrorContaining("weight field 'bias' is final: importing state replaces its value (a plain"
                + " array with null while the agent holds the quantized data, a holder with a new one); remove final;"
                + " or mark it transient to leave it out of the model's state").inFile(m).onLine(10);
    }

    @Test
    void privateFieldsNeedAccessors() {
        JavaFileObject m = source("M", """
                class M {
                    @Quantize private float[] w;
                    @Quantize private QuantizableTensor t;
                    private float[] bias;
                    @Quantize private float[] withAccessors;

                    QuantizableTensor getT() { return t; }
                    float[] getWithAccessors() { return withAccessors; }
                    void setWithAccessors(float[] v) { withAccessors = v; }
                }
                """);
        Compilation c = compile(m);
        assertThat(c).hadErrorCount(3);
        assertThat(c).hadErrorContaining("field 'w' is private and the generated M_Quantization (same package) cannot"
                + " reach it: add non-private accessors getW() and setW(float[]), or make the field package-private")
                .inFile(m).onLine(8);
        assertThat(c).hadErrorContaining("add non-private accessors getT() and setT(QuantizableTensor)").inFile(m)
                .onLine(9);
        assertThat(c).hadErrorContaining("field 'bias' is private and the generated M_Quantization (same package)"
                + " cannot reach it: add non-private accessors getBias() and setBias(float[]), or make the field"
                + " package-private; or mark it transient to leave it out of the model's state").inFile(m).onLine(10);
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
        Compilation c = compile(m, sub);
        assertThat(c).hadErrorCount(1);
        assertThat(c).hadErrorContaining("field 'sub' is private and the generated M_Quantization (same package)"
                + " cannot reach it: add non-private accessors getSub(), or make the field package-private; or mark it"
                + " transient to leave its weights out of the model").inFile(m).onLine(9);
    }

    // ---------------------------------------------------------------------------------------------
    // @Dims

    @Test
    void dimsMustNameIntFieldsOrPositiveSizes() {
        JavaFileObject m = source("M", """
                class M {
                    int rows;
                    float cols;
                    @Quantize @Dims({"rows", "colz"}) float[] a;
                    @Quantize @Dims({"rows", "cols"}) float[] b;
                    @Quantize @Dims({"0", "4"}) float[] c;
                    @Quantize @Dims({}) float[] d;
                    @Quantize @Dims({"rows", "16"}) float[] fine;
                }
                """);
        Compilation c = compile(m);
        assertThat(c).hadErrorCount(4);
        assertThat(c).hadErrorContaining("@Dims entry 'colz' on 'a' is neither a positive integer nor an int field of M"
                + " that the generated visitor can read").inFile(m).onLine(10).atColumn(21);
        assertThat(c).hadErrorContaining("@Dims entry 'cols' on 'b'").inFile(m).onLine(11);
        assertThat(c).hadErrorContaining("@Dims entry '0' on 'c'").inFile(m).onLine(12);
        assertThat(c).hadErrorContaining("@Dims on 'd' names no dimension: give the shape outermost first, e.g."
                + " @Dims({\"rows\", \"cols\"})").inFile(m).onLine(13);
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
        Compilation c = compile(m, plain);
        assertThat(c).hadErrorCount(3);
        assertThat(c).hadErrorContaining("@Dims applies to float[] fields only, and 'rows' is float[][]: a float[][]"
                + " field takes [rows, cols] from the array; remove @Dims").inFile(m).onLine(8);
        assertThat(c).hadErrorContaining("and 't' is dev.quant4j.model.QuantizableTensor: a QuantizableTensor carries"
                + " its own shape").inFile(m).onLine(9);
        assertThat(c).hadErrorContaining("@Dims on 'w' has no effect: Plain is not a model class (no @Quantize field,"
                + " @QuantModule or @QuantizeDefaults); mark the class @QuantModule").inFile(plain).onLine(8);
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
        Compilation c = compile(outer);
        assertThat(c).hadErrorCount(3);
        assertThat(c).hadErrorContaining("model class demo.Outer.Hidden is private: the generated Outer_Hidden_Quantization"
                + " in the same package cannot reach it; make it package-private").inFile(outer).onLine(8);
        assertThat(c).hadErrorContaining("generic model class Generic is not supported").inFile(outer).onLine(11);
        assertThat(c).hadErrorContaining("record Rec cannot be a model class").inFile(outer).onLine(14);
    }

    // ---------------------------------------------------------------------------------------------
    // Warnings

    @Test
    void twoBitValuesOnBiasOrNormFields() {
        JavaFileObject m = source("M", """
                class M {
                    @Quantize(value = QuantValue.Q2S) float[] attnNormWeight;
                    @Quantize(value = QuantValue.Q2F) float[] bias;
                    @Quantize(value = QuantValue.Q2F) float[] weight;
                    @SuppressWarnings("quant4j")
                    @Quantize(value = QuantValue.Q2F) float[] ln1;
                }
                """);
        Compilation c = compile(m);
        assertThat(c).succeeded();
        assertThat(c).hadWarningCount(2);
        assertThat(c).hadWarningContaining("field 'attnNormWeight' looks like a bias or a normalization weight: 2-bit"
                + " values (Q2S) keep only 3 levels, which usually ruins these small, sensitive tensors; use Q8S or"
                + " Q4S, or leave the field unquantized").inFile(m).onLine(8).atColumn(33);
        assertThat(c).hadWarningContaining("field 'bias' looks like a bias or a normalization weight: 2-bit values"
                + " (Q2F) keep only 4 levels").inFile(m).onLine(9);
    }

    @Test
    void aTwoBitDefaultIsWarnedAboutAtTheFieldSoThatItCanBeSuppressedThere() {
        JavaFileObject m = source("M", """
                @QuantizeDefaults(value = QuantValue.Q2S)
                class M {
                    @Quantize float[] w;
                    @Quantize float[] layerNorm;
                }
                """);
        Compilation c = compile(m);
        assertThat(c).succeeded();
        assertThat(c).hadWarningCount(1);
        assertThat(c).hadWarningContaining("field 'layerNorm' looks like a bias or a normalization weight").inFile(m)
                .onLine(10);
    }

    @Test
    void subByteBlocksThatDoNotFillWholeWords() {
        JavaFileObject m = source("M", """
                class M {
                    @Quantize(value = QuantValue.Q4F, level = QuantLevel.BLOCK, blockSize = 12) float[] w;
                    @Quantize(value = QuantValue.Q2S, level = QuantLevel.BLOCK, blockSize = 24) float[] v;
                    @Quantize(value = QuantValue.Q4F, level = QuantLevel.BLOCK, blockSize = {3, 16}) float[][] fine;
                    @Quantize(value = QuantValue.Q8S, level = QuantLevel.BLOCK, blockSize = 12) float[] eightBit;
                }
                """);
        Compilation c = compile(m);
        assertThat(c).succeeded();
        assertThat(c).hadWarningCount(2);
        assertThat(c).hadWarningContaining("block extent 12 does not fill whole 32-bit words with 4-bit codes (U32 store"
                + " packs 8 per word), so blocks straddle word boundaries and fused kernels cannot take a block as"
                + " whole words; use a multiple of 8, e.g. 32").inFile(m).onLine(8).atColumn(77);
        assertThat(c).hadWarningContaining("block extent 24 does not fill whole 32-bit words with 2-bit codes (U32 store"
                + " packs 16 per word)").inFile(m).onLine(9);
    }

    @Test
    void aBlockSizeAtTheTensorLevelIsIgnored() {
        JavaFileObject m = source("M", """
                class M {
                    @Quantize(value = QuantValue.Q4S, blockSize = 64) float[] w;
                }
                """);
        Compilation c = compile(m);
        assertThat(c).succeeded();
        assertThat(c).hadWarningCount(1);
        assertThat(c).hadWarningContaining("blockSize [64] is ignored at the tensor level: add level = BLOCK to quantize"
                + " per block, or remove blockSize").inFile(m).onLine(8).atColumn(51);
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
        assertThat(c).generatedSourceFile("demo.M_Quantization").contentsAsUtf8String()
                .contains("ModelVisitors.visitAs(Base.class, model, path, visitor);");
        assertThat(c).generatedSourceFile("demo.Base_Quantization").isNotNull();
        assertThat(c).generatedSourceFile("demo.Sub_Quantization").isNotNull();
    }
}

package dev.quant4j.cli;

import dev.quant4j.scheme.SchemeProblem;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Scheme problems in the CLI's words: what is wrong, then the fix in the text form of a scheme
 * ({@link SchemeProblem#textFix()}: "write u32 instead of native"), never the annotation's
 * ("use store = U32"), since on the command line a scheme is a SPEC such as {@code q4f:block32:f16}.
 */
final class SchemeText {
    private SchemeText() {}

    /** One problem: {@code message: textFix}. */
    static String problem(SchemeProblem p) {
        return p.message() + ": " + p.textFix();
    }

    /** Every problem, joined with "; ". */
    static String problems(List<SchemeProblem> problems) {
        return problems.stream().map(SchemeText::problem).collect(Collectors.joining("; "));
    }
}

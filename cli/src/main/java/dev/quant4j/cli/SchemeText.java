package dev.quant4j.cli;

import dev.quant4j.scheme.SchemeProblem;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Scheme problems in the CLI's own words. {@link SchemeProblem#fix()} is written for the annotation
 * ({@code use store = U32}, {@code blockSize = 32}); on the command line a scheme is text such as
 * {@code q4f:block32:f16:u32}, so the fixes are said in that syntax here, in one place.
 */
final class SchemeText {
    /** {@code blockSize = 32}, {@code blockSize = {2, 16}}. */
    private static final Pattern BLOCK_SIZE = Pattern.compile("blockSize = (\\{[^}]*}|\\d+)");
    /** {@code store = U32}, {@code param = F16}, {@code value = Q8S}, {@code level = TENSOR}. */
    private static final Pattern PART = Pattern.compile("\\b(store|param|value|level) = ([A-Z0-9_]+)");

    private SchemeText() {
    }

    /** One problem: what is wrong, then the fix in SPEC syntax. */
    static String problem(SchemeProblem p) {
        return p.message() + ": " + fix(p.fix());
    }

    /** Every problem, joined with "; ". */
    static String problems(List<SchemeProblem> problems) {
        return problems.stream().map(SchemeText::problem).collect(Collectors.joining("; "));
    }

    /** A fix text with annotation syntax turned into SPEC syntax. */
    static String fix(String annotationFix) {
        Matcher m = BLOCK_SIZE.matcher(annotationFix);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String extents = m.group(1).replaceAll("[{}\\s]", "").replace(',', 'x');
            m.appendReplacement(sb, Matcher.quoteReplacement("'block" + extents + "'"));
        }
        m.appendTail(sb);
        m = PART.matcher(sb.toString().replace("blockSize", "the block"));
        sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement(m.group(1) + " '" + m.group(2).toLowerCase(Locale.ROOT)
                    + "' (a SPEC part)"));
        }
        m.appendTail(sb);
        return sb.toString().replace("the tensor level", "the tensor level ('tensor')");
    }
}

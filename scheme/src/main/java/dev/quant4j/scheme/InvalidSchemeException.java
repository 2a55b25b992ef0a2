package dev.quant4j.scheme;

import java.util.List;
import java.util.stream.Collectors;

/** Thrown when a scheme is used that {@link QuantScheme#problems()} finds fault with. */
public final class InvalidSchemeException extends IllegalArgumentException {
    private final transient List<SchemeProblem> problems;

    public InvalidSchemeException(String subject, List<SchemeProblem> problems) {
        super(subject + ": " + problems.stream().map(SchemeProblem::toString).collect(Collectors.joining("; ")));
        this.problems = List.copyOf(problems);
    }

    /** Every problem found, in a stable order. */
    public List<SchemeProblem> problems() {
        return problems;
    }
}

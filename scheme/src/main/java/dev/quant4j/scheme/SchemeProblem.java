package dev.quant4j.scheme;

/**
 * One thing wrong with a {@link QuantScheme}.
 *
 * @param attribute the scheme part at fault, named as the {@code @Quantize} attribute that sets it
 *                  ({@code value}, {@code level}, {@code blockSize}, {@code store}, {@code param},
 *                  {@code mode}, {@code calibration}), so that a compiler error can point at it
 * @param message   what is wrong
 * @param fix       what to do about it
 */
public record SchemeProblem(String attribute, String message, String fix) {
    @Override
    public String toString() {
        return message + " (" + attribute + "): " + fix;
    }
}

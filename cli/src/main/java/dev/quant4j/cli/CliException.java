package dev.quant4j.cli;

/** Bad input or bad usage that the user can fix: reported as one line, exit code 2. */
final class CliException extends RuntimeException {
    CliException(String message) {
        super(message);
    }
}

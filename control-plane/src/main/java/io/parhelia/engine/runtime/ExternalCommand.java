package io.parhelia.engine.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a short external command (tmux, kill) from an explicit argv, with a time limit, and captures
 * its whole output. Output goes through temporary files rather than pipes so that a daemon the
 * command leaves behind (the tmux server) can never keep a read blocked.
 */
final class ExternalCommand {

    record Result(int exitCode, String stdout, String stderr) {
        boolean succeeded() {
            return exitCode == 0;
        }

        /** Both streams, for error messages. */
        String output() {
            return (stdout.strip() + "\n" + stderr.strip()).strip();
        }
    }

    private ExternalCommand() {
    }

    /**
     * @param environmentOverrides variables to set; a null value removes the variable
     * @throws RuntimeFailure when the command cannot be started or does not finish in time
     */
    static Result run(List<String> argv, Duration timeout, Map<String, String> environmentOverrides)
            throws RuntimeFailure {
        Path stdout = null;
        Path stderr = null;
        try {
            stdout = Files.createTempFile("parhelia-cmd-", ".out");
            stderr = Files.createTempFile("parhelia-cmd-", ".err");
            ProcessBuilder builder = new ProcessBuilder(argv)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectOutput(stdout.toFile())
                    .redirectError(stderr.toFile());
            environmentOverrides.forEach((name, value) -> {
                if (value == null) {
                    builder.environment().remove(name);
                } else {
                    builder.environment().put(name, value);
                }
            });
            Process process = builder.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new RuntimeFailure(String.join(" ", argv) + " did not finish within " + timeout);
            }
            return new Result(process.exitValue(),
                    new String(Files.readAllBytes(stdout), StandardCharsets.UTF_8),
                    new String(Files.readAllBytes(stderr), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new RuntimeFailure("could not run " + argv.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeFailure("interrupted while running " + argv.get(0), e);
        } finally {
            deleteQuietly(stdout);
            deleteQuietly(stderr);
        }
    }

    static Result run(List<String> argv, Duration timeout) throws RuntimeFailure {
        return run(argv, timeout, Map.of());
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a leftover temp file is harmless
            }
        }
    }
}

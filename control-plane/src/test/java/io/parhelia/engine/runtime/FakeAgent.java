package io.parhelia.engine.runtime;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Finds testing/fake-claude, the Claude Code stand-in, and builds its command lines. */
public final class FakeAgent {

    private FakeAgent() {
    }

    /** The script: system property {@code parhelia.fakeAgent}, else ../testing/fake-claude from the module. */
    public static Path path() {
        String configured = System.getProperty("parhelia.fakeAgent");
        Path script = (configured != null ? Path.of(configured) : Path.of("..", "testing", "fake-claude"))
                .toAbsolutePath().normalize();
        if (!Files.isExecutable(script)) {
            throw new IllegalStateException("fake agent not found or not executable at " + script
                    + "; set -Dparhelia.fakeAgent=/path/to/fake-claude");
        }
        return script;
    }

    /** {@code fake-claude -p PROMPT --output-format stream-json --verbose [extra…]}. */
    public static List<String> command(String prompt, String... extra) {
        List<String> argv = new ArrayList<>(List.of(path().toString(), "-p", prompt,
                "--output-format", "stream-json", "--verbose"));
        argv.addAll(List.of(extra));
        return argv;
    }

    /** The command for a prompt given on standard input. */
    public static List<String> commandReadingStdin() {
        return List.of(path().toString(), "-p", "--output-format", "stream-json", "--verbose");
    }
}

package io.parhelia.engine.health;

import io.parhelia.engine.agent.AgentCommand;
import io.parhelia.engine.config.ParheliaConfig;
import io.parhelia.engine.runtime.AgentRuntime;
import io.parhelia.engine.runtime.Availability;
import io.parhelia.engine.store.Database;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The checks behind {@code parhelia doctor}: can this machine run Parhelia, and if not, what to fix. */
public final class Diagnostics {

    private Diagnostics() {
    }

    public static List<Check> run(ParheliaConfig config, List<AgentRuntime> runtimes) {
        List<Check> checks = new ArrayList<>();
        checks.add(java());
        checks.add(tool("tmux", List.of("tmux", "-V"),
                "install tmux (apt-get install tmux) so that agents can be attached to; without it they run under setsid"));
        checks.add(tool("git", List.of("git", "--version"), "install git (apt-get install git); tasks with a repo clone it"));
        checks.add(agent(config));
        checks.add(home(config.home()));
        checks.add(store(config.paths().database()));
        for (AgentRuntime runtime : runtimes) {
            Availability a = runtime.availability();
            checks.add(a.usable() ? Check.pass("runtime " + runtime.name(), a.detail())
                    : Check.fail("runtime " + runtime.name(), a.detail(), "see the detail; set tasks.default_runtime to a usable runtime"));
        }
        return checks;
    }

    private static Check java() {
        int feature = Runtime.version().feature();
        String detail = "Java " + Runtime.version() + " (" + System.getProperty("java.home") + ")";
        return feature >= 17 ? Check.pass("java", detail)
                : Check.fail("java", detail, "install Java 17 or newer and point JAVA_HOME at it");
    }

    private static Check agent(ParheliaConfig config) {
        String executable = new AgentCommand(config.agent().command(), config.agent().resumeArgs()).executable();
        Path found = findExecutable(executable);
        return found != null ? Check.pass("agent command", executable + " at " + found)
                : Check.fail("agent command", executable + " is not on PATH",
                "install Claude Code (npm install -g @anthropic-ai/claude-code), or set agent.command in "
                        + config.paths().configFile());
    }

    private static Check home(Path home) {
        try {
            Files.createDirectories(home);
            Path probe = Files.createTempFile(home, ".doctor", ".tmp");
            Files.delete(probe);
            return Check.pass("home", home + " is writable");
        } catch (IOException e) {
            return Check.fail("home", home + " is not writable: " + e.getMessage(),
                    "fix the permissions of " + home + ", or point PARHELIA_HOME at a writable directory");
        }
    }

    private static Check store(Path file) {
        try (Database db = Database.open(file)) {
            String integrity = db.read(c -> {
                try (var s = c.createStatement(); var r = s.executeQuery("PRAGMA quick_check")) {
                    return r.next() ? r.getString(1) : "no answer";
                }
            });
            return "ok".equals(integrity) ? Check.pass("store", file + " schema version " + db.schemaVersion())
                    : Check.fail("store", file + " failed its integrity check: " + integrity,
                    "stop every Parhelia process, back up " + file + ", and restore it or start afresh");
        } catch (RuntimeException e) {
            return Check.fail("store", file + ": " + e.getMessage(), "check the file's permissions and free disk space");
        }
    }

    private static Check tool(String name, List<String> versionCommand, String fix) {
        try {
            Process p = new ProcessBuilder(versionCommand).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0) {
                return Check.pass(name, out);
            }
            return Check.fail(name, name + " did not answer: " + out, fix);
        } catch (IOException e) {
            return Check.fail(name, name + " is not installed", fix);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Check.fail(name, "interrupted", fix);
        }
    }

    /** The executable as the agent launch would find it: a path, or a name on PATH. */
    public static Path findExecutable(String executable) {
        if (executable.contains("/")) {
            Path path = Path.of(executable);
            return Files.isExecutable(path) ? path : null;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, executable))) {
                return Path.of(dir, executable);
            }
        }
        return null;
    }
}

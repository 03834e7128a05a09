package io.parhelia.engine.health;

import io.parhelia.engine.agent.AgentCommand;
import io.parhelia.engine.config.ParheliaConfig;
import io.parhelia.engine.reconcile.Orphan;
import io.parhelia.engine.reconcile.ReconcileReport;
import io.parhelia.engine.reconcile.ReconcilerStatus;
import io.parhelia.engine.runtime.AgentRuntime;
import io.parhelia.engine.runtime.Availability;
import io.parhelia.engine.store.Database;
import io.parhelia.engine.task.TaskStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Health checks, one implementation of each: {@code parhelia doctor} runs those that tell whether
 * this machine can run Parhelia; {@link HealthService} runs those that tell how a running engine is.
 */
public final class Diagnostics {

    /** Free space in the home below which health warns: workspaces, logs and the store grow there. */
    public static final long DISK_WARN_BELOW_BYTES = 1L << 30;
    /** Free space in the home below which health fails: SQLite and agent logs may stop writing soon. */
    public static final long DISK_FAIL_BELOW_BYTES = 100L << 20;

    private Diagnostics() {
    }

    /** The checks behind {@code parhelia doctor}: can this machine run Parhelia, and if not, what to fix. */
    public static List<Check> run(ParheliaConfig config, List<AgentRuntime> runtimes) {
        List<Check> checks = new ArrayList<>();
        checks.add(java());
        checks.add(tool("tmux", List.of("tmux", "-V"),
                "install tmux (apt-get install tmux) so that agents can be attached to; without it they run under setsid"));
        checks.add(tool("git", List.of("git", "--version"), "install git (apt-get install git); tasks with a repo clone it"));
        checks.add(agentCommand(config));
        checks.add(home(config.home()));
        checks.add(diskSpace(config.home()));
        checks.add(store(config.paths().database()));
        for (AgentRuntime runtime : runtimes) {
            checks.add(runtime(runtime, config.tasks().defaultRuntime()));
        }
        return checks;
    }

    /**
     * Every runtime says whether it can start agents and why not; only the default runtime's failure
     * is a fault, since tasks use the others only when they ask for them (and are refused, with this reason).
     */
    public static Check runtime(AgentRuntime runtime, String defaultRuntime) {
        if (runtime.name().equals(defaultRuntime)) {
            return runtime(runtime);
        }
        Availability a = runtime.availability();
        return Check.pass("runtime " + runtime.name(), a.usable() ? a.detail()
                : "not usable, so tasks asking for it are refused: " + a.detail());
    }

    private static Check java() {
        int feature = Runtime.version().feature();
        String detail = "Java " + Runtime.version() + " (" + System.getProperty("java.home") + ")";
        return feature >= 17 ? Check.pass("java", detail)
                : Check.fail("java", detail, "install Java 17 or newer and point JAVA_HOME at it");
    }

    public static Check runtime(AgentRuntime runtime) {
        Availability a = runtime.availability();
        return a.usable() ? Check.pass("runtime " + runtime.name(), a.detail())
                : Check.fail("runtime " + runtime.name(), a.detail(), "see the detail; set tasks.default_runtime to a usable runtime");
    }

    public static Check agentCommand(ParheliaConfig config) {
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

    public static Check diskSpace(Path home) {
        long free;
        try {
            free = Files.getFileStore(existingAncestor(home)).getUsableSpace();
        } catch (IOException e) {
            return Check.fail("disk", "cannot tell the free space of " + home + ": " + e.getMessage(),
                    "check that " + home + " is on a mounted, readable file system");
        }
        String detail = mebibytes(free) + " free in " + home;
        String fix = "free space on that file system (old workspaces are in " + home.resolve("workspaces")
                + "), or point PARHELIA_HOME at a larger one";
        if (free < DISK_FAIL_BELOW_BYTES) {
            return Check.fail("disk", detail + ", under " + mebibytes(DISK_FAIL_BELOW_BYTES)
                    + ": the store and agent logs may soon fail to write", fix);
        }
        if (free < DISK_WARN_BELOW_BYTES) {
            return Check.warn("disk", detail + ", under " + mebibytes(DISK_WARN_BELOW_BYTES), fix);
        }
        return Check.pass("disk", detail);
    }

    private static Path existingAncestor(Path path) {
        Path candidate = path.toAbsolutePath();
        while (candidate != null && !Files.exists(candidate)) {
            candidate = candidate.getParent();
        }
        return candidate == null ? path.toAbsolutePath().getRoot() : candidate;
    }

    private static String mebibytes(long bytes) {
        return (bytes >> 20) + " MiB";
    }

    /** Opens the store (migrating it, as a server would) and checks it. */
    private static Check store(Path file) {
        try (Database db = Database.open(file)) {
            return store(db);
        } catch (RuntimeException e) {
            return Check.fail("store", file + ": " + e.getMessage(), "check the file's permissions and free disk space");
        }
    }

    /** A quick query, SQLite's quick integrity check, and the schema version. */
    public static Check store(Database db) {
        Path file = db.file();
        try {
            int version = db.schemaVersion();
            String integrity = db.read(c -> {
                try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("PRAGMA quick_check")) {
                    return r.next() ? r.getString(1) : "no answer";
                }
            });
            if (!"ok".equals(integrity)) {
                return Check.fail("store", file + " failed its integrity check: " + integrity,
                        "stop every Parhelia process, back up " + file + ", and restore it or start afresh");
            }
            if (version != Database.LATEST_VERSION) {
                return Check.fail("store", file + " has schema version " + version + ", this Parhelia expects "
                        + Database.LATEST_VERSION, "restart the server so that it migrates the store");
            }
            return Check.pass("store", file + " schema version " + version + ", integrity ok");
        } catch (RuntimeException e) {
            return Check.fail("store", file + ": " + e.getMessage(), "check the file's permissions and free disk space");
        }
    }

    /** Fresh when the last stored cycle, from whichever process, ended within the stale limit. */
    public static Check reconciler(ReconcilerStatus status, long activeTasks, Instant now) {
        String where = status.whereItRuns();
        ReconcileReport last = status.lastRun();
        if (last != null && status.fresh()) {
            String detail = "last cycle " + Duration.between(last.endedAt(), now).toSeconds() + " s ago by "
                    + (last.holder().equals(status.thisProcess()) ? "this process" : last.holder()) + ", checked "
                    + last.checked() + " task(s); " + where;
            return last.failed() ? Check.warn("reconciler", detail + "; it had errors: " + last.errors().get(0),
                    "see parhelia_reconciler_status for every error; a runtime that cannot list its agents needs fixing "
                            + "before orphans can be found") : Check.pass("reconciler", detail);
        }
        String fix = status.leaseHolder() != null && !status.runsHere()
                ? "process " + status.leaseHolder() + " holds the lease but runs no cycles: stop it, and another "
                        + "server takes over within " + status.staleAfter().toSeconds() + " s; or call parhelia_reconciler_run"
                : "the reconciler runs inside parhelia mcp-server; keep one running on this home, or call parhelia_reconciler_run";
        if (last == null) {
            return activeTasks == 0
                    ? Check.pass("reconciler", "no cycle has run yet, and no task is active; " + where)
                    : Check.fail("reconciler", "no cycle has run yet while " + activeTasks + " task(s) are active; " + where, fix);
        }
        String detail = "stale: the last cycle ended " + Duration.between(last.endedAt(), now).toSeconds()
                + " s ago, longer than " + status.staleAfter().toSeconds() + " s (" + status.staleAfter()
                .dividedBy(status.interval()) + " intervals); " + where;
        return activeTasks == 0 ? Check.warn("reconciler", detail, fix)
                : Check.fail("reconciler", detail + "; " + activeTasks + " active task(s) are not being watched", fix);
    }

    public static Check orphans(ReconcilerStatus status) {
        List<Orphan> reported = status.reportedOrphans();
        long inGrace = status.orphans().stream().filter(o -> o.reportedAt() == null).count();
        String watching = inGrace == 0 ? "" : "; " + inGrace + " unknown agent(s) within the grace period";
        if (reported.isEmpty()) {
            return Check.pass("orphans", "no orphaned agents" + watching);
        }
        String ids = reported.stream().map(o -> o.runtime() + " " + o.runtimeId()).collect(Collectors.joining(", "));
        return Check.warn("orphans", reported.size() + " orphaned agent(s) running that no task of this store accounts for: "
                + ids + watching, "stop them (for the local runtime: tmux kill-session -t <id>, or kill the process "
                + "group), or set reconciler.terminate_orphans = true for the reconciler to stop them");
    }

    /** Tasks by status, counted once for the task and reconciler checks. */
    public record TaskCounts(long running, long active) {
    }

    public static TaskCounts taskCounts(Database db) {
        List<String> active = TaskStatus.ACTIVE.stream().map(TaskStatus::wireName).toList();
        return db.read(c -> {
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT coalesce(sum(CASE WHEN status = 'running' THEN 1 ELSE 0 END), 0),
                           coalesce(sum(CASE WHEN status IN (%s) THEN 1 ELSE 0 END), 0) FROM tasks"""
                    .formatted(String.join(",", active.stream().map(a -> "?").toList())))) {
                for (int i = 0; i < active.size(); i++) {
                    s.setString(i + 1, active.get(i));
                }
                try (ResultSet r = s.executeQuery()) {
                    return new TaskCounts(r.getLong(1), r.getLong(2));
                }
            }
        });
    }

    public static Check tasks(TaskCounts counts) {
        return Check.pass("tasks", counts.running() + " running, " + (counts.active() - counts.running())
                + " pending or starting");
    }

    /** Running containers whose liveness checks keep missing (containers.health). */
    public static Check containers(Database db) {
        Map<String, Long> byHealth = db.read(c -> {
            Map<String, Long> counts = new LinkedHashMap<>();
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("""
                    SELECT health, count(*) FROM containers WHERE state = 'running' GROUP BY health ORDER BY health""")) {
                while (r.next()) {
                    counts.put(r.getString(1), r.getLong(2));
                }
            }
            return counts;
        });
        long running = byHealth.values().stream().mapToLong(Long::longValue).sum();
        long unhealthy = byHealth.getOrDefault("unhealthy", 0L);
        long dead = byHealth.getOrDefault("dead", 0L);
        String detail = running + " running container(s)" + (byHealth.isEmpty() ? "" : ", by health " + byHealth);
        if (unhealthy + dead > 0) {
            return Check.warn("containers", detail + ": " + unhealthy + " unhealthy, " + dead + " dead",
                    "look at them with parhelia_containers (health unhealthy or dead); end them with "
                            + "parhelia_container_terminate or cancel their tasks");
        }
        return Check.pass("containers", detail);
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

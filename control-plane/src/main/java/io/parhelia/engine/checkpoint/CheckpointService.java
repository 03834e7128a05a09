package io.parhelia.engine.checkpoint;

import io.parhelia.engine.config.ParheliaConfig;
import io.parhelia.engine.event.EventLog;
import io.parhelia.engine.event.EventLog.Subject;
import io.parhelia.engine.event.EventType;
import io.parhelia.engine.runtime.AgentRuntime;
import io.parhelia.engine.store.Database;
import io.parhelia.engine.task.Container;
import io.parhelia.engine.task.EngineException;
import io.parhelia.engine.task.NewTask;
import io.parhelia.engine.task.Page;
import io.parhelia.engine.task.Task;
import io.parhelia.engine.task.TaskListener;
import io.parhelia.engine.task.TaskService;
import io.parhelia.engine.task.TaskStatus;
import io.parhelia.engine.task.Viewer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkpoints of task workspaces: taken on demand, periodically, before Parhelia stops an agent and
 * when a task ends; restored into a new task that resumes the agent's conversation; compared.
 * A checkpoint that fails writes checkpoint_failed and never changes what happens to the task.
 */
public final class CheckpointService implements TaskListener {

    private static final Logger log = LoggerFactory.getLogger(CheckpointService.class);
    private static final Viewer SYSTEM = new Viewer("parhelia", true);
    /** Blobs younger than this are never collected: a checkpoint in another process may be about to use them. */
    static final Duration GC_GRACE = Duration.ofMinutes(10);
    private static final long MAX_DIFF_FILE_BYTES = 2L << 20;
    private static final int MAX_UNIFIED_CHARS = 200_000;

    private final Database db;
    private final EventLog events;
    private final TaskService tasks;
    private final ParheliaConfig.Checkpoints settings;
    private final Path root;
    private final BlobStore blobs;
    private final WorkspaceScanner scanner;
    private final Restorer restorer;
    private final Clock clock;
    private final Duration gcGrace;
    private final CheckpointStore store = new CheckpointStore();
    private final Object writing = new Object();

    public CheckpointService(Database db, EventLog events, TaskService tasks, ParheliaConfig config, Clock clock) {
        this(db, events, tasks, config, clock, GC_GRACE);
    }

    CheckpointService(Database db, EventLog events, TaskService tasks, ParheliaConfig config, Clock clock, Duration gcGrace) {
        this.db = db;
        this.events = events;
        this.tasks = tasks;
        this.settings = config.checkpoints();
        this.root = config.home().resolve("checkpoints");
        this.blobs = new BlobStore(root.resolve("blobs"));
        this.scanner = new WorkspaceScanner(Set.copyOf(settings.exclude()));
        this.restorer = new Restorer(blobs);
        this.clock = clock;
        this.gcGrace = gcGrace;
    }

    public BlobStore blobs() {
        return blobs;
    }

    /**
     * Checkpoints each running task whose last checkpoint (or start) is at least the configured
     * period old; a step of the reconciler's cycle, so one process at a time does it.
     */
    public List<String> checkpointDueTasks() {
        if (settings.periodicMinutes() <= 0) {
            return List.of();
        }
        Duration period = Duration.ofMillis(Math.max(1, (long) (settings.periodicMinutes() * 60_000)));
        List<String> taken = new ArrayList<>();
        for (String id : tasks.activeTaskIds()) {
            Task task = tasks.get(id, SYSTEM);
            if (task.status() != TaskStatus.RUNNING || task.startedAt() == null || !workspaceIsLocal(task)) {
                continue;
            }
            Instant last = db.read(c -> store.list(c, id, null, null, 1)).stream().findFirst()
                    .map(Checkpoint::createdAt).filter(at -> at.isAfter(task.startedAt())).orElse(task.startedAt());
            if (!clock.instant().isBefore(last.plus(period))) {
                quietly(task, Trigger.PERIODIC);
                taken.add(id + ": periodic checkpoint");
            }
        }
        return taken;
    }

    @Override
    public void beforeStop(Task task, Container container) {
        quietly(task, Trigger.BEFORE_STOP);
    }

    /**
     * An agent that ended by itself leaves a completion or failure checkpoint; one Parhelia stopped
     * (cancelled, timed out, over budget) already left its before_stop checkpoint.
     */
    @Override
    public void ended(Task task) {
        switch (task.status()) {
            case COMPLETED -> quietly(task, Trigger.COMPLETION);
            case FAILED, LOST -> quietly(task, Trigger.FAILURE);
            default -> { }
        }
    }

    /** Tasks whose workspace is not on this machine have no checkpoints: nothing here to take them of. */
    private void quietly(Task task, Trigger trigger) {
        if (!workspaceIsLocal(task)) {
            return;
        }
        try {
            take(task, trigger, null);
        } catch (RuntimeException e) {
            log.warn("{} checkpoint of task {} failed: {}", trigger.wireName(), task.id(), e.getMessage());
        }
    }

    /** A manual checkpoint of a task the viewer can see. */
    public Checkpoint create(String taskId, String label, Viewer viewer) {
        Task task = tasks.show(taskId, viewer);
        if (!workspaceIsLocal(task)) {
            throw new EngineException(EngineException.Reason.INVALID_STATE, "task_id", "task " + taskId + " runs in the "
                    + task.runtime() + " runtime, whose workspace is inside the agent's container away from this server, "
                    + "so Parhelia cannot checkpoint it; have the agent commit and push its work to a branch instead");
        }
        return take(task, Trigger.MANUAL, label);
    }

    /** A task whose runtime this server lacks is taken to be local: its workspace path is all there is to go on. */
    private boolean workspaceIsLocal(Task task) {
        AgentRuntime runtime = tasks.runtimes().get(task.runtime());
        return runtime == null || runtime.workspaceIsLocal();
    }

    private Checkpoint take(Task task, Trigger trigger, String label) {
        Path workspace = Path.of(task.workspace());
        try {
            if (!Files.isDirectory(workspace)) {
                throw new IOException("the workspace " + workspace + " does not exist");
            }
            Checkpoint checkpoint;
            synchronized (writing) {
                Manifest manifest = scanner.scan(workspace, blobs);
                String manifestSha = blobs.putBytes(manifest.canonicalBytes()).sha256();
                String sessionId = task.result() != null && task.result().agentSessionId() != null
                        ? task.result().agentSessionId() : task.resumeSessionId();
                checkpoint = new Checkpoint(newId(), task.id(), task.owner(), trigger, label, clock.instant(),
                        manifest.sizeBytes(), manifest.fileCount(), manifestSha, sessionId, GitState.of(workspace));
                db.write(c -> {
                    store.insert(c, checkpoint);
                    events.append(c, EventType.CHECKPOINT_CREATED, Subject.task(task.owner(), task.id()),
                            trigger.wireName() + " checkpoint " + checkpoint.id() + " taken (" + checkpoint.fileCount()
                                    + " files, " + checkpoint.sizeBytes() + " bytes)",
                            Map.of("checkpoint_id", checkpoint.id(), "trigger", trigger.wireName()));
                    return null;
                });
                applyRetention(task.id());
            }
            return checkpoint;
        } catch (IOException | RuntimeException e) {
            String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            try {
                db.write(c -> {
                    events.append(c, EventType.CHECKPOINT_FAILED, Subject.task(task.owner(), task.id()),
                            trigger.wireName() + " checkpoint failed: " + reason, Map.of("trigger", trigger.wireName()));
                    return null;
                });
            } catch (RuntimeException logged) {
                log.warn("could not record a failed checkpoint of {}: {}", task.id(), logged.getMessage());
            }
            throw new EngineException(EngineException.Reason.RUNTIME_FAILED, "task_id",
                    "the checkpoint of task " + task.id() + " failed: " + reason);
        }
    }

    /** Keeps the newest keep_per_task and the latest completion checkpoint of a task, then collects unreferenced blobs. */
    private void applyRetention(String taskId) throws IOException {
        List<Checkpoint> all = db.read(c -> store.list(c, taskId, null, null, Integer.MAX_VALUE));
        Optional<Checkpoint> latestCompletion = all.stream().filter(cp -> cp.trigger() == Trigger.COMPLETION).findFirst();
        List<Checkpoint> expired = new ArrayList<>();
        for (int i = Math.max(0, settings.keepPerTask()); i < all.size(); i++) {
            Checkpoint candidate = all.get(i);
            if (latestCompletion.map(cp -> !cp.id().equals(candidate.id())).orElse(true)) {
                expired.add(candidate);
            }
        }
        if (!expired.isEmpty()) {
            db.write(c -> {
                for (Checkpoint cp : expired) {
                    store.delete(c, cp.id());
                }
                return null;
            });
        }
        collectGarbage();
    }

    /** Deletes blobs no remaining checkpoint references; returns how many. */
    int collectGarbage() throws IOException {
        Set<String> referenced = new HashSet<>();
        for (String manifestSha : db.read(store::manifestHashes)) {
            referenced.add(manifestSha);
            try {
                Manifest.parse(blobs.readVerified(manifestSha)).entries().stream()
                        .filter(e -> e.sha256() != null).forEach(e -> referenced.add(e.sha256()));
            } catch (CheckpointIntegrityException e) {
                log.warn("skipping a damaged manifest during garbage collection: {}", e.getMessage());
            }
        }
        return blobs.collectGarbage(referenced, gcGrace);
    }

    public Checkpoint get(String id, Viewer viewer) {
        return db.read(c -> store.find(c, id)).filter(cp -> viewer.canSee(cp.owner()))
                .orElseThrow(() -> new EngineException(EngineException.Reason.NOT_FOUND, "checkpoint_id",
                        "no checkpoint '" + id + "'; parhelia_checkpoint_list shows the ones you can see"));
    }

    public Page<Checkpoint> list(String taskId, String cursor, int limit, Viewer viewer) {
        if (taskId != null) {
            tasks.get(taskId, viewer);
        }
        List<Checkpoint> rows = db.read(c -> store.list(c, taskId, viewer.admin() ? null : viewer.principal(), cursor, limit + 1));
        boolean more = rows.size() > limit;
        List<Checkpoint> page = more ? rows.subList(0, limit) : rows;
        return new Page<>(List.copyOf(page), more ? CheckpointStore.cursorAfter(page.get(page.size() - 1)) : null);
    }

    public Manifest manifest(Checkpoint checkpoint) {
        return Manifest.parse(blobs.readVerified(checkpoint.manifestSha256()));
    }

    public record Restored(Checkpoint checkpoint, Task task, Path workspace) {
    }

    /**
     * Verifies every path and blob of the checkpoint, materialises it into a fresh workspace and
     * starts a new task there that resumes the agent's conversation. Refuses, writing nothing, when
     * anything does not verify.
     */
    public Restored restore(String checkpointId, String prompt, Viewer viewer) {
        Checkpoint checkpoint = get(checkpointId, viewer);
        Task original = tasks.get(checkpoint.taskId(), viewer);
        Path target = root.resolve("restored").resolve(checkpoint.id() + "-" + UUID.randomUUID().toString().substring(0, 8));
        try {
            Manifest manifest = manifest(checkpoint);
            restorer.restore(manifest, target);
        } catch (CheckpointIntegrityException e) {
            failed(checkpoint, e.getMessage());
            throw new EngineException(EngineException.Reason.INVALID_STATE, "checkpoint_id",
                    "checkpoint " + checkpoint.id() + " is damaged: " + e.getMessage());
        } catch (IOException e) {
            failed(checkpoint, e.getMessage());
            throw new EngineException(EngineException.Reason.RUNTIME_FAILED, "checkpoint_id",
                    "restoring checkpoint " + checkpoint.id() + " failed: " + e.getMessage());
        }
        Task task = tasks.create(new NewTask(prompt != null ? prompt : original.prompt(), null, null, target.toString(),
                original.runtime(), original.resources().cpu(), original.resources().memoryGb(), original.resources().gpu(),
                original.maxTurns(), original.timeoutSeconds(), checkpoint.agentSessionId(), original.interactive(),
                original.network()), viewer);
        db.write(c -> {
            events.append(c, EventType.CHECKPOINT_RESTORED, Subject.task(original.owner(), original.id()),
                    "checkpoint " + checkpoint.id() + " restored into task " + task.id(),
                    Map.of("checkpoint_id", checkpoint.id(), "new_task_id", task.id()));
            return null;
        });
        return new Restored(checkpoint, task, target);
    }

    private void failed(Checkpoint checkpoint, String reason) {
        db.write(c -> {
            events.append(c, EventType.CHECKPOINT_FAILED, Subject.task(checkpoint.owner(), checkpoint.taskId()),
                    "restore of checkpoint " + checkpoint.id() + " refused: " + reason, Map.of("checkpoint_id", checkpoint.id()));
            return null;
        });
    }

    /** One path's change: line counts are null for binary files and files too large to compare. */
    public record FileChange(String path, String change, Integer linesAdded, Integer linesDeleted, boolean binary) {
    }

    public record Diff(Checkpoint from, Checkpoint to, String toWorkspace, List<FileChange> changes, String unifiedDiff) {
    }

    /**
     * Compares a checkpoint with another, or with its task's live workspace when {@code toId} is null.
     *
     * @param path a path whose unified diff to include, or null
     */
    public Diff diff(String fromId, String toId, String path, Viewer viewer) {
        Checkpoint from = get(fromId, viewer);
        Checkpoint to = toId == null ? null : get(toId, viewer);
        Map<String, ManifestEntry> left = byPath(manifest(from));
        Map<String, ManifestEntry> right;
        Path live = null;
        try {
            if (to != null) {
                right = byPath(manifest(to));
            } else {
                live = Path.of(tasks.get(from.taskId(), viewer).workspace());
                right = byPath(scanner.scan(live, null));
            }
        } catch (IOException e) {
            throw new EngineException(EngineException.Reason.RUNTIME_FAILED, "checkpoint_id",
                    "the task's workspace cannot be read: " + e.getMessage());
        }
        Path liveRoot = live;
        Set<String> paths = new TreeSet<>(left.keySet());
        paths.addAll(right.keySet());
        List<FileChange> changes = new ArrayList<>();
        String unified = null;
        for (String p : paths) {
            ManifestEntry a = left.get(p);
            ManifestEntry b = right.get(p);
            if (a != null && a.type() == ManifestEntry.Type.DIR && b != null && b.type() == ManifestEntry.Type.DIR) {
                continue;
            }
            String change = a == null ? "added" : b == null ? "deleted" : a.equals(b) ? null : "modified";
            boolean isPath = p.equals(path);
            if (change == null && !isPath) {
                continue;
            }
            byte[] before = content(a, null);
            byte[] after = content(b, liveRoot);
            boolean binary = isBinary(before) || isBinary(after);
            Integer added = null;
            Integer deleted = null;
            if (!binary && before != null && after != null) {
                LineDiff lines = LineDiff.of(lines(before), lines(after));
                added = lines.counts().added();
                deleted = lines.counts().deleted();
                if (isPath) {
                    unified = lines.unified("a/" + p, "b/" + p, MAX_UNIFIED_CHARS);
                }
            } else if (isPath) {
                unified = binary ? "binary file " + p + " differs\n" : "file " + p + " is too large to diff\n";
            }
            if (change != null) {
                changes.add(new FileChange(p, change, added, deleted, binary));
            }
        }
        if (path != null && !paths.contains(path)) {
            throw EngineException.invalid("path", "'" + path + "' is in neither side of the diff; omit path or name one that is");
        }
        return new Diff(from, to, liveRoot == null ? null : liveRoot.toString(), changes, unified);
    }

    private static Map<String, ManifestEntry> byPath(Manifest manifest) {
        Map<String, ManifestEntry> map = new LinkedHashMap<>();
        manifest.entries().forEach(e -> map.put(e.path(), e));
        return map;
    }

    /**
     * The bytes of a file entry for comparing: empty for an absent side, a symlink's target text,
     * null when too large. A live file is read from the workspace, a checkpointed one from its blob.
     */
    private byte[] content(ManifestEntry entry, Path liveRoot) {
        if (entry == null || entry.type() == ManifestEntry.Type.DIR) {
            return new byte[0];
        }
        if (entry.type() == ManifestEntry.Type.SYMLINK) {
            return (entry.target() + "\n").getBytes(StandardCharsets.UTF_8);
        }
        if (entry.size() > MAX_DIFF_FILE_BYTES) {
            return null;
        }
        Path file = liveRoot != null ? liveRoot.resolve(entry.path()) : blobs.path(entry.sha256());
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes((int) MAX_DIFF_FILE_BYTES);
        } catch (IOException e) {
            throw new EngineException(EngineException.Reason.RUNTIME_FAILED, "checkpoint_id",
                    "cannot read " + entry.path() + ": " + e.getMessage());
        }
    }

    private static boolean isBinary(byte[] content) {
        if (content == null) {
            return false;
        }
        for (int i = 0; i < Math.min(content.length, 8000); i++) {
            if (content[i] == 0) {
                return true;
            }
        }
        return false;
    }

    private static List<String> lines(byte[] content) {
        String text = new String(content, StandardCharsets.UTF_8);
        if (text.isEmpty()) {
            return List.of();
        }
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        if (text.endsWith("\n")) {
            lines.remove(lines.size() - 1);
        }
        return lines;
    }

    private static String newId() {
        byte[] random = new byte[6];
        ThreadLocalRandom.current().nextBytes(random);
        return "cp-" + HexFormat.of().formatHex(random);
    }

}

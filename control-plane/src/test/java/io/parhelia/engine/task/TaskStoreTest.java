package io.parhelia.engine.task;

import static org.assertj.core.api.Assertions.assertThat;

import io.parhelia.engine.runtime.Resources;
import io.parhelia.engine.store.Database;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Columns are read by position, so a task written with a distinct value in every column must read back equal. */
class TaskStoreTest {

    private final TaskStore store = new TaskStore();

    @TempDir
    Path dir;

    @Test
    void aTaskReadsBackWithEveryColumnInItsOwnFieldWhetherFoundOrListed() {
        Instant created = Instant.ofEpochMilli(1_000);
        Instant started = Instant.ofEpochMilli(2_000);
        Instant ended = Instant.ofEpochMilli(3_000);
        Task inserted = new Task("task-a", "alice", "the prompt", "https://example.invalid/repo.git", "main", "sub/dir",
                "/workspaces/task-a", "local", new Resources(1.5, 2.5, "T4"), 7, 600, 2, "task-p", "task-r",
                "session-to-resume", true, false, TaskStatus.PENDING, "queued", created, null, null, created, null,
                TaskResult.NONE);
        TaskResult outcome = new TaskResult("agent-session", "the answer", "success", true, 0.25, 11L, 22L, 4, 5_000L);
        Task failed = new Task("task-a", "alice", "the prompt", "https://example.invalid/repo.git", "main", "sub/dir",
                "/workspaces/task-a", "local", new Resources(1.5, 2.5, "T4"), 7, 600, 2, "task-p", "task-r",
                "session-to-resume", true, false, TaskStatus.FAILED, "exit 3", created, started, ended, ended, 3, outcome);
        try (Database db = Database.open(dir.resolve("parhelia.db"))) {
            db.write(c -> {
                store.insert(c, earlierAttempt("task-r", null, created));
                store.insert(c, earlierAttempt("task-p", "task-r", created));
                store.insert(c, inserted);
                return null;
            });
            Optional<Task> found = db.read(c -> store.find(c, "task-a"));
            assertThat(found).contains(inserted);

            db.write(c -> store.transition(c, "task-a", TaskStatus.PENDING, TaskStatus.RUNNING, "running", started)
                    && store.transition(c, "task-a", TaskStatus.RUNNING, TaskStatus.FAILED, "exit 3", ended));
            db.write(c -> {
                store.saveOutcome(c, "task-a", 3, outcome);
                return null;
            });
            Optional<Task> foundAgain = db.read(c -> store.find(c, "task-a"));
            assertThat(foundAgain).contains(failed);
            Page<Task> listed = db.read(c -> store.list(c,
                    new TaskQuery(Set.of(TaskStatus.FAILED), "local", null, "task-r", 5, null), "alice"));
            assertThat(listed.items()).containsExactly(failed);
        }
    }

    private static Task earlierAttempt(String id, String parent, Instant created) {
        return new Task(id, "alice", "the prompt", null, null, null, "/workspaces/" + id, "local", new Resources(1, 1, null),
                7, 600, 1, parent, "task-r", null, false, true, TaskStatus.CANCELLED, null, created, null, null, created, null,
                TaskResult.NONE);
    }
}

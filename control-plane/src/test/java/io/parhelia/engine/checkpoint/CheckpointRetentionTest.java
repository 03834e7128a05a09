package io.parhelia.engine.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.parhelia.engine.Engine;
import io.parhelia.engine.config.ConfigLoader;
import io.parhelia.engine.config.ParheliaConfig;
import io.parhelia.engine.event.EventLog;
import io.parhelia.engine.runtime.FakeAgent;
import io.parhelia.engine.store.Database;
import io.parhelia.engine.task.NewTask;
import io.parhelia.engine.task.Task;
import io.parhelia.engine.task.TaskService;
import io.parhelia.engine.task.TaskStatus;
import io.parhelia.engine.task.Viewer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Retention keeps the newest checkpoints and the latest completion one; unreferenced blobs go. */
class CheckpointRetentionTest {

    private static final Viewer OWNER = new Viewer("alice", false);

    @TempDir
    Path home;
    private Database db;

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void theNewestCheckpointsAndTheLatestCompletionAreKeptAndUnreferencedBlobsCollected() throws Exception {
        ParheliaConfig config = new ConfigLoader().load(home, Map.of(), Map.of(
                "agent.command", new ObjectMapper().writeValueAsString(FakeAgent.command("{prompt}")),
                "runtime.local.mode", "setsid",
                "checkpoints.keep_per_task", "2",
                "checkpoints.periodic_minutes", "0"));
        db = Database.open(config.paths().create().database());
        Clock clock = Clock.systemUTC();
        EventLog events = new EventLog(clock);
        TaskService tasks = new TaskService(db, events, Engine.runtimes(config), config, clock);
        CheckpointService checkpoints = new CheckpointService(db, events, tasks, config, clock, Duration.ZERO);
        tasks.addListener(checkpoints);

        Task task = tasks.create(NewTask.ofPrompt("write=notes.txt first"), OWNER);
        await().atMost(Duration.ofSeconds(30)).until(() -> tasks.show(task.id(), OWNER).status() == TaskStatus.COMPLETED);
        Checkpoint completion = only(checkpoints.list(task.id(), null, 10, OWNER).items());
        assertThat(completion.trigger()).isEqualTo(Trigger.COMPLETION);

        Path workspace = Path.of(task.workspace());
        String firstManual = "manual one";
        Files.writeString(workspace.resolve("notes.txt"), firstManual);
        Checkpoint one = checkpoints.create(task.id(), null, OWNER);
        assertThat(Files.exists(checkpoints.blobs().path(sha256(firstManual)))).isTrue();
        Files.writeString(workspace.resolve("notes.txt"), "manual two");
        Checkpoint two = checkpoints.create(task.id(), null, OWNER);
        Files.writeString(workspace.resolve("notes.txt"), "manual three");
        Checkpoint three = checkpoints.create(task.id(), null, OWNER);

        List<String> kept = checkpoints.list(task.id(), null, 10, OWNER).items().stream().map(Checkpoint::id).toList();
        assertThat(kept).containsExactly(three.id(), two.id(), completion.id());
        assertThat(kept).doesNotContain(one.id());
        assertThat(Files.exists(checkpoints.blobs().path(sha256(firstManual))))
                .as("the blob only the expired checkpoint referenced").isFalse();
        assertThat(Files.exists(checkpoints.blobs().path(sha256("manual two")))).isTrue();
    }

    private static Checkpoint only(List<Checkpoint> checkpoints) {
        assertThat(checkpoints).hasSize(1);
        return checkpoints.get(0);
    }

    private static String sha256(String content) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content.getBytes(StandardCharsets.UTF_8)));
    }
}

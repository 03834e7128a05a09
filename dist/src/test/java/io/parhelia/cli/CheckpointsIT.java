package io.parhelia.cli;

import static io.parhelia.cli.ParheliaHomeFixture.call;
import static io.parhelia.cli.ParheliaHomeFixture.structured;
import static io.parhelia.cli.ParheliaHomeFixture.task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import io.parhelia.engine.checkpoint.BlobStore;
import io.parhelia.engine.checkpoint.Manifest;
import io.parhelia.engine.checkpoint.ManifestEntry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints through the real server over stdio with the fake agent. */
class CheckpointsIT {

    @RegisterExtension
    static final SharedServer server = new SharedServer();

    static Map<String, Object> awaitStatus(String id, String status) {
        await().atMost(Duration.ofSeconds(30)).until(
                () -> task(call(server.client(), "parhelia_task_show", Map.of("task_id", id))).get("status"), status::equals);
        return task(call(server.client(), "parhelia_task_show", Map.of("task_id", id)));
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> checkpoints(String taskId) {
        return (List<Map<String, Object>>) structured(call(server.client(), "parhelia_checkpoint_list", Map.of("task_id", taskId)))
                .get("checkpoints");
    }

    @Test
    void aRunningTaskIsCheckpointedPeriodicallyAndBeforeItIsStopped(@TempDir Path periodicHome) throws Exception {
        try (ParheliaHomeFixture periodic = new ParheliaHomeFixture(periodicHome, Map.of(),
                "[checkpoints]\nperiodic_minutes = 0.02\n")) {
            McpSyncClient server = periodic.client();
            String id = (String) task(call(server, "parhelia_task_create", Map.of("prompt", "sleep=300 keep working"))).get("id");

            await().atMost(Duration.ofSeconds(30)).until(() -> triggers(server, id).stream()
                    .filter("periodic"::equals).count() >= 2);
            call(server, "parhelia_task_cancel", Map.of("task_id", id));
            assertThat(triggers(server, id)).first().isEqualTo("before_stop");
            assertThat(triggers(server, id)).doesNotContain("failure", "completion");
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Object> triggers(McpSyncClient server, String taskId) {
        return ((List<Map<String, Object>>) structured(call(server, "parhelia_checkpoint_list", Map.of("task_id", taskId)))
                .get("checkpoints")).stream().map(c -> c.get("trigger")).toList();
    }

    @Test
    @SuppressWarnings("unchecked")
    void createListDiffAndRestoreResumingTheConversation() throws Exception {
        Map<String, Object> done = awaitStatus((String) task(call(server.client(), "parhelia_task_create",
                Map.of("prompt", "write=notes.txt first version"))).get("id"), "completed");
        String taskId = (String) done.get("id");
        String sessionId = (String) ((Map<String, Object>) done.get("result")).get("agent_session_id");
        Path workspace = Path.of((String) done.get("workspace"));

        await().atMost(Duration.ofSeconds(10)).until(() -> checkpoints(taskId), l -> l.stream().anyMatch(c -> "completion".equals(c.get("trigger"))));

        Map<String, Object> manual = (Map<String, Object>) structured(call(server.client(), "parhelia_checkpoint_create",
                Map.of("task_id", taskId, "label", "after first run"))).get("checkpoint");
        assertThat(manual.get("trigger")).isEqualTo("manual");
        assertThat(manual.get("agent_session_id")).isEqualTo(sessionId);
        assertThat(checkpoints(taskId).get(0).get("id")).isEqualTo(manual.get("id"));

        Files.writeString(workspace.resolve("notes.txt"), "second version\n");
        Files.writeString(workspace.resolve("new.txt"), "added\n");
        Map<String, Object> diff = structured(call(server.client(), "parhelia_checkpoint_diff",
                Map.of("checkpoint_id", manual.get("id"), "path", "notes.txt")));
        List<Map<String, Object>> changes = (List<Map<String, Object>>) diff.get("changes");
        assertThat(changes).extracting(c -> c.get("path") + ":" + c.get("change"))
                .containsExactlyInAnyOrder("new.txt:added", "notes.txt:modified");
        assertThat((String) diff.get("unified_diff")).contains("-write=notes.txt first version").contains("+second version");

        McpSchema.CallToolResult restored = call(server.client(), "parhelia_checkpoint_restore",
                Map.of("checkpoint_id", manual.get("id"), "prompt", "write=resumed.txt carry on"));
        Map<String, Object> newTask = task(restored);
        Path restoredWorkspace = Path.of((String) structured(restored).get("workspace"));
        awaitStatus((String) newTask.get("id"), "completed");
        assertThat(Files.readString(restoredWorkspace.resolve("notes.txt"))).isEqualTo("write=notes.txt first version");
        assertThat(restoredWorkspace.resolve("new.txt")).doesNotExist();
        assertThat(Files.readAllLines(restoredWorkspace.resolve("fake-agent-argv.txt"))).containsSubsequence("--resume", sessionId);
        assertThat(Files.readString(workspace.resolve("notes.txt"))).isEqualTo("second version\n");
    }

    @Test
    void aCorruptedBlobIsRefusedOverMcp() throws Exception {
        Object checkpointId = checkpointOfFinishedTask("write=data.txt precious");
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest("write=data.txt precious".getBytes(StandardCharsets.UTF_8)));
        Files.writeString(blobs().path(sha), "tampered");
        McpSchema.CallToolResult refused = call(server.client(), "parhelia_checkpoint_restore", Map.of("checkpoint_id", checkpointId));
        assertThat(refused.isError()).isTrue();
        assertThat(refused.content().toString()).contains("corrupted").contains(sha);
    }

    @Test
    void aManifestWhosePathsEscapeTheWorkspaceIsRefusedOverMcpAndNothingIsWritten() throws Exception {
        Object checkpointId = checkpointOfFinishedTask("write=data.txt harmless");
        // Swap the checkpoint's manifest for one that writes outside the workspace, as a tampered store would.
        BlobStore blobs = blobs();
        String content = blobs.putBytes("escaped".getBytes(StandardCharsets.UTF_8)).sha256();
        String manifest = blobs.putBytes(new Manifest(List.of(
                new ManifestEntry("../../escaped.txt", ManifestEntry.Type.FILE, false, 7, content, null))).canonicalBytes()).sha256();
        server.fixture().execute("UPDATE checkpoints SET manifest_sha256 = '" + manifest + "' WHERE id = '" + checkpointId + "'");
        long tasksBefore = server.fixture().count("SELECT count(*) FROM tasks");

        McpSchema.CallToolResult refused = call(server.client(), "parhelia_checkpoint_restore", Map.of("checkpoint_id", checkpointId));

        assertThat(refused.isError()).isTrue();
        assertThat(refused.content().toString()).contains("../../escaped.txt");
        assertThat(server.fixture().count("SELECT count(*) FROM tasks")).isEqualTo(tasksBefore);
        try (Stream<Path> everywhere = Files.walk(server.home())) {
            assertThat(everywhere.filter(p -> p.getFileName().toString().equals("escaped.txt"))).isEmpty();
        }
    }

    /** A manual checkpoint of a task that ran to completion with this prompt; returns its id. */
    @SuppressWarnings("unchecked")
    private static Object checkpointOfFinishedTask(String prompt) {
        String taskId = (String) awaitStatus((String) task(call(server.client(), "parhelia_task_create",
                Map.of("prompt", prompt))).get("id"), "completed").get("id");
        return ((Map<String, Object>) structured(call(server.client(), "parhelia_checkpoint_create",
                Map.of("task_id", taskId))).get("checkpoint")).get("id");
    }

    private static BlobStore blobs() {
        return new BlobStore(server.home().resolve("checkpoints/blobs"));
    }
}

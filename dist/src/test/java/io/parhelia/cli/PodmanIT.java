package io.parhelia.cli;

import static io.parhelia.cli.ParheliaHomeFixture.call;
import static io.parhelia.cli.ParheliaHomeFixture.structured;
import static io.parhelia.cli.ParheliaHomeFixture.task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The task, container, session, checkpoint and reconciler tools end to end on real Podman, through the
 * real launcher over stdio: one server and one Podman service for the class. Skipped, with the reason,
 * when Podman cannot run containers on this machine.
 */
class PodmanIT {

    /** The fake agent's path inside the test image (it stands in for Claude Code there). */
    private static final String AGENT_IN_IMAGE = "/usr/local/bin/claude";
    private static final String RUNC = "/usr/sbin/runc";
    private static final Duration WITHIN = Duration.ofSeconds(30);

    private static Path home;
    private static String image;
    private static ParheliaHomeFixture fixture;
    private static McpSyncClient client;

    @BeforeAll
    static void server() throws Exception {
        image = buildTestImage();
        home = Files.createTempDirectory("parhelia-podman-it-");
        fixture = new ParheliaHomeFixture(home, Map.of("orphan_grace_seconds", "1"), """
                [runtime.podman]
                image = "%s"
                oci_runtime = "%s"
                service_idle_seconds = 60
                """.formatted(image, Files.isExecutable(Path.of(RUNC)) ? RUNC : ""), AGENT_IN_IMAGE);
        client = fixture.client();
    }

    @AfterAll
    static void cleanUp() throws Exception {
        if (fixture == null) {
            return;
        }
        fixture.close();
        podman("rm", "-f", "parhelia-task-orphan0001");
        Path servicePid = home.resolve("podman").resolve("engine.pid");
        if (Files.exists(servicePid)) {
            ProcessHandle.of(Long.parseLong(Files.readString(servicePid).strip())).ifPresent(ProcessHandle::destroy);
        }
        try (Stream<Path> files = Files.walk(home)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    /** The image from runtime-podman's builder (once per machine), or a skip saying why there is none. */
    private static String buildTestImage() throws Exception {
        List<String> command = new ArrayList<>(List.of("bash", System.getProperty("parhelia.podmanTestImageBuilder"),
                ParheliaHomeFixture.FAKE_AGENT.toString()));
        if (Files.isExecutable(Path.of(RUNC))) {
            command.addAll(List.of("--runtime", RUNC));
        }
        Process build;
        try {
            build = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "skipped: bash cannot run the test image builder: " + e.getMessage());
            throw e;
        }
        String output = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        boolean built = build.waitFor(5, TimeUnit.MINUTES) && build.exitValue() == 0;
        assumeTrue(built, () -> "skipped: Podman cannot run containers here: " + output);
        return output.lines().reduce((first, last) -> last).orElseThrow();
    }

    private static int podman(String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("podman"));
        command.addAll(List.of(arguments));
        return run(command);
    }

    private static int run(List<String> command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getInputStream().readAllBytes();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return process.exitValue();
    }

    private static String podmanOutput(String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("podman"));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return output;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object value) {
        return (List<Map<String, Object>>) value;
    }

    private static Map<String, Object> create(Map<String, Object> arguments) {
        Map<String, Object> withRuntime = new HashMap<>(arguments);
        withRuntime.put("runtime", "podman");
        return task(call(client, "parhelia_task_create", withRuntime));
    }

    private static String start(String prompt) {
        return (String) create(Map.of("prompt", prompt)).get("id");
    }

    private static Map<String, Object> show(String taskId) {
        return task(call(client, "parhelia_task_show", Map.of("task_id", taskId)));
    }

    private static Map<String, Object> awaitStatus(String taskId, String status) {
        return await().atMost(WITHIN).until(() -> show(taskId), t -> status.equals(t.get("status")));
    }

    private static Map<String, Object> onlyContainerOf(String taskId) {
        return list(structured(call(client, "parhelia_containers", Map.of("task_id", taskId))).get("containers")).get(0);
    }

    private static Map<String, Object> onlySessionOf(String taskId) {
        return list(structured(call(client, "parhelia_session_list", Map.of("task_id", taskId))).get("sessions")).get(0);
    }

    @SuppressWarnings("unchecked")
    private static List<String> logLines(String taskId) {
        return (List<String>) structured(call(client, "parhelia_task_logs", Map.of("task_id", taskId, "tail_lines", 200)))
                .get("lines");
    }

    @Test
    void aTaskRunsInItsOwnLimitedContainerAndFinishesWithItsResult() throws Exception {
        Map<String, Object> done = create(Map.of("prompt", "hello from a container cost=0.25", "cpu", 0.5,
                "memory_gb", 0.5, "wait_seconds", 30));

        assertThat(done).containsEntry("status", "completed").containsEntry("runtime", "podman")
                .containsEntry("exit_code", 0).containsEntry("network", true);
        assertThat(map(done.get("result"))).containsEntry("cost_usd", 0.25);
        assertThat(logLines((String) done.get("id"))).anyMatch(line -> line.contains("Done. Wrote fake-agent-output.txt"));
        assertThat(Path.of((String) done.get("workspace")).resolve("fake-agent-output.txt"))
                .hasContent("hello from a container cost=0.25");

        Map<String, Object> container = map(structured(call(client, "parhelia_container_show",
                Map.of("container_id", onlyContainerOf((String) done.get("id")).get("id")))).get("container"));
        assertThat(container).containsEntry("runtime", "podman").containsEntry("state", "exited")
                .containsEntry("runtime_id", "parhelia-" + done.get("id")).containsEntry("exit_code", 0);
        await("removed once the agent ended").atMost(WITHIN)
                .until(() -> podman("container", "exists", "parhelia-" + done.get("id")), code -> code == 1);
    }

    @Test
    void aTaskWithoutNetworkGetsNoneAndTheLocalRuntimeRefusesIt() throws Exception {
        String id = (String) create(Map.of("prompt", "sleep=300 offline", "network", false)).get("id");

        assertThat(show(id)).containsEntry("network", false).containsEntry("status", "running");
        assertThat(podmanOutput("inspect", "--format", "{{.HostConfig.NetworkMode}}", "parhelia-" + id)).isEqualTo("none");
        call(client, "parhelia_task_cancel", Map.of("task_id", id));

        McpSchema.CallToolResult local = call(client, "parhelia_task_create", Map.of("prompt", "p", "network", false));
        assertThat(local.isError()).isTrue();
        assertThat(map(structured(local).get("error"))).containsEntry("field", "network");
        McpSchema.CallToolResult clone = call(client, "parhelia_task_create", Map.of("prompt", "p", "network", false,
                "runtime", "podman", "repo", "https://example.invalid/r.git"));
        assertThat(clone.isError()).isTrue();
        assertThat((String) map(structured(clone).get("error")).get("message")).contains("clone", "network");
    }

    @Test
    void cancelStopsTheContainerAndTerminateAndKillEndEverythingTogether() throws Exception {
        String cancelled = start("sleep=300 cancel me");
        assertThat(podman("container", "exists", "parhelia-" + cancelled)).isZero();
        assertThat(task(call(client, "parhelia_task_cancel", Map.of("task_id", cancelled)))).containsEntry("status", "cancelled");
        assertThat(podman("container", "exists", "parhelia-" + cancelled)).isEqualTo(1);

        String terminated = start("sleep=300 terminate me");
        Map<String, Object> result = structured(call(client, "parhelia_container_terminate",
                Map.of("container_id", onlyContainerOf(terminated).get("id"), "reason", "runaway")));
        assertThat(result.get("task_status")).isEqualTo("cancelled");
        assertThat(map(result.get("container"))).containsEntry("state", "stopped");
        assertThat(map(result.get("session"))).containsEntry("state", "ended");
        assertThat(podman("container", "exists", "parhelia-" + terminated)).isEqualTo(1);

        String killed = start("sleep=300 kill me");
        Map<String, Object> kill = structured(call(client, "parhelia_session_kill",
                Map.of("session_id", onlySessionOf(killed).get("id"), "reason", "enough")));
        assertThat(kill.get("task_status")).isEqualTo("cancelled");
        assertThat(podman("container", "exists", "parhelia-" + killed)).isEqualTo(1);
    }

    @Test
    @SuppressWarnings("unchecked")
    void attachInfoGivesAPodmanExecCommandAndTypedLinesReachTheAgent() throws Exception {
        String chat = (String) create(Map.of("prompt", "interactive chat", "interactive", true)).get("id");
        String sessionId = (String) onlySessionOf(chat).get("id");
        await().atMost(WITHIN).until(() -> logLines(chat).stream().anyMatch(l -> l.startsWith("[session ")));

        Map<String, Object> attach = structured(call(client, "parhelia_session_attach_info", Map.of("session_id", sessionId)));
        assertThat(attach).containsEntry("attachable", true)
                .containsEntry("command", "podman exec -it parhelia-" + chat + " tmux attach -t main");
        assertThat(run((List<String>) attach.get("check_command"))).as("the check finds the tmux session").isZero();

        call(client, "parhelia_session_send", Map.of("session_id", sessionId, "text", "hello \"world\" $(id)"));
        await().atMost(WITHIN).until(() -> logLines(chat).contains("echo: hello \"world\" $(id)"));
        call(client, "parhelia_session_send", Map.of("session_id", sessionId, "text", "quit"));
        awaitStatus(chat, "completed");
        Map<String, Object> after = structured(call(client, "parhelia_session_attach_info", Map.of("session_id", sessionId)));
        assertThat(after).containsEntry("attachable", false);
        assertThat(run((List<String>) attach.get("check_command"))).isNotZero();
    }

    @Test
    @SuppressWarnings("unchecked")
    void checkpointsOfAContainerTaskRestoreIntoANewContainerThatResumes() throws Exception {
        Map<String, Object> done = create(Map.of("prompt", "write=notes.txt first version", "wait_seconds", 30));
        String taskId = (String) done.get("id");
        String sessionId = (String) map(done.get("result")).get("agent_session_id");
        await().atMost(WITHIN).until(() -> list(structured(call(client, "parhelia_checkpoint_list",
                Map.of("task_id", taskId))).get("checkpoints")), l -> l.stream().anyMatch(c -> "completion".equals(c.get("trigger"))));

        Map<String, Object> manual = map(structured(call(client, "parhelia_checkpoint_create",
                Map.of("task_id", taskId, "label", "after the first run"))).get("checkpoint"));
        Files.writeString(Path.of((String) done.get("workspace")).resolve("notes.txt"), "second version\n");
        List<Map<String, Object>> changes = list(structured(call(client, "parhelia_checkpoint_diff",
                Map.of("checkpoint_id", manual.get("id")))).get("changes"));
        assertThat(changes).extracting(c -> c.get("path") + ":" + c.get("change")).containsExactly("notes.txt:modified");

        McpSchema.CallToolResult restored = call(client, "parhelia_checkpoint_restore",
                Map.of("checkpoint_id", manual.get("id"), "prompt", "write=resumed.txt carry on"));
        Map<String, Object> resumed = awaitStatus((String) task(restored).get("id"), "completed");
        assertThat(resumed).containsEntry("runtime", "podman");
        Path workspace = Path.of((String) resumed.get("workspace"));
        assertThat(workspace.resolve("notes.txt")).hasContent("write=notes.txt first version");
        assertThat(Files.readAllLines(workspace.resolve("fake-agent-argv.txt"))).containsSubsequence("--resume", sessionId);
    }

    @Test
    void theReconcilerEndsTimedOutAndVanishedContainersAndReportsOrphans() throws Exception {
        String slow = (String) create(Map.of("prompt", "sleep=300 too slow", "timeout_seconds", 2)).get("id");
        String vanishing = start("sleep=300 removed behind Parhelia's back");
        assertThat(podman("kill", "--signal", "KILL", "parhelia-" + vanishing)).isZero();
        assertThat(podman("run", "-d", "--name", "parhelia-task-orphan0001", "--ulimit", "nofile=1024:1024",
                "--ulimit", "nproc=1024:1024", "--label", "parhelia.io/managed=true",
                "--label", "parhelia.io/task-id=task-orphan0001", "--label", "parhelia.io/home=" + home,
                image, "sleep", "300")).isZero();

        assertThat(awaitStatus(slow, "timed_out")).containsEntry("runtime", "podman");
        assertThat(podman("container", "exists", "parhelia-" + slow)).isEqualTo(1);
        assertThat((String) awaitStatus(vanishing, "lost").get("status_reason")).isNotBlank();
        await().atMost(WITHIN).until(() -> fixture.count(
                "SELECT count(*) FROM events WHERE type = 'orphan_detected' AND message LIKE '%parhelia-task-orphan0001%'") == 1);
    }

    @Test
    void healthSaysThePodmanRuntimeIsUsableAndWhy() {
        Map<String, Object> health = structured(call(client, "parhelia_health", Map.of()));
        Map<String, Object> podman = list(health.get("checks")).stream()
                .filter(check -> "runtime podman".equals(check.get("name"))).findFirst().orElseThrow();
        assertThat(podman.get("status")).isEqualTo("ok");
        assertThat((String) podman.get("detail")).contains("Podman", image);
    }
}

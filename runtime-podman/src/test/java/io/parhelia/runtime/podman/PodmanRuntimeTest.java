package io.parhelia.runtime.podman;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.parhelia.engine.config.ConfigLoader;
import io.parhelia.engine.config.ParheliaConfig;
import io.parhelia.engine.runtime.AttachInfo;
import io.parhelia.engine.runtime.Availability;
import io.parhelia.engine.runtime.LaunchSpec;
import io.parhelia.engine.runtime.Resources;
import io.parhelia.engine.runtime.RuntimeFailure;
import io.parhelia.engine.runtime.RuntimeHandle;
import io.parhelia.engine.runtime.RuntimeState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The podman runtime against real Podman: one home and one Podman service for the class. */
class PodmanRuntimeTest {

    @TempDir
    static Path home;

    private static PodmanRuntime runtime;
    private final List<RuntimeHandle> started = new ArrayList<>();

    @BeforeAll
    static void podman() {
        String image = TestImage.image();
        assumeTrue(image != null, () -> "skipped: " + TestImage.whyUnavailable());
        runtime = new PodmanRuntime(config(home, Map.of("runtime.podman.image", image)));
    }

    @AfterEach
    void stopLeftovers() throws RuntimeFailure {
        for (RuntimeHandle handle : started) {
            runtime.stop(handle, Duration.ZERO);
        }
    }

    @AfterAll
    static void stopService() throws IOException {
        TestImage.stopService(home);
    }

    static ParheliaConfig config(Path home, Map<String, String> settings) {
        Map<String, String> overrides = new HashMap<>(Map.of(
                "runtime.podman.oci_runtime", TestImage.OCI_RUNTIME,
                "runtime.podman.service_idle_seconds", "60"));
        overrides.putAll(settings);
        return new ConfigLoader().load(home, Map.of(), overrides);
    }

    private static ConditionFactory eventually() {
        return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50));
    }

    private static String newTaskId() {
        return "task-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static Path workspace(String taskId) {
        return home.resolve("workspaces").resolve(taskId);
    }

    private RuntimeHandle start(String taskId, List<String> argv, Resources resources, boolean network,
                                Map<String, String> env) throws RuntimeFailure {
        RuntimeHandle handle = runtime.start(new LaunchSpec(taskId, argv, env, workspace(taskId), null, null, resources,
                null, network));
        started.add(handle);
        return handle;
    }

    private RuntimeHandle start(String taskId, List<String> argv) throws RuntimeFailure {
        return start(taskId, argv, new Resources(1, 1, null), true, Map.of());
    }

    private static List<String> fakeClaude(String prompt) {
        return List.of("claude", "-p", prompt, "--output-format", "stream-json", "--verbose");
    }

    private static List<String> shell(String script) {
        return List.of("bash", "-c", script);
    }

    private RuntimeState awaitExit(RuntimeHandle handle) {
        return eventually().until(() -> runtime.inspect(handle), state -> state.phase() == RuntimeState.Phase.EXITED);
    }

    private static String log(RuntimeHandle handle) throws RuntimeFailure {
        return new String(runtime.readLog(handle, 0, 1 << 20).data(), StandardCharsets.UTF_8);
    }

    private static int run(List<String> command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getInputStream().readAllBytes();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return process.exitValue();
    }

    @Test
    void anAgentRunsInItsContainerAndLeavesItsLogExitCodeAndWorkBehind() throws Exception {
        String taskId = newTaskId();
        RuntimeHandle handle = start(taskId, fakeClaude("say hello exit=3"));

        assertThat(handle.runtime()).isEqualTo("podman");
        assertThat(handle.id()).isEqualTo("parhelia-" + taskId);
        RuntimeState ended = awaitExit(handle);

        assertThat(ended.exitCode()).isEqualTo(3);
        assertThat(log(handle)).contains("\"type\":\"system\"", "\"type\":\"result\"", "exit status 3");
        assertThat(workspace(taskId).resolve("fake-agent-output.txt")).hasContent("say hello exit=3");
        eventually().until(() -> run(List.of("podman", "container", "exists", handle.id())), code -> code == 1);
        assertThat(runtime.inspect(handle).exitCode()).as("the exit code outlives the container").isEqualTo(3);
    }

    @Test
    void cpuMemoryProcessAndFileLimitsApplyInsideTheContainer() throws Exception {
        String taskId = newTaskId();
        RuntimeHandle handle = start(taskId, shell("cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max "
                + "/sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu.max "
                + "2>/dev/null > limits.txt; ulimit -n > nofile.txt"), new Resources(0.5, 0.25, null), true, Map.of());
        assertThat(awaitExit(handle).exitCode()).isZero();

        String limits = Files.readString(workspace(taskId).resolve("limits.txt"));
        assertThat(limits).as("memory 0.25 GB").contains(Long.toString(256L << 20));
        assertThat(limits).as("pids_limit").contains("4096");
        assertThat(limits).as("half a CPU: 50 ms of every 100 ms").contains("50000");
        assertThat(workspace(taskId).resolve("nofile.txt")).hasContent("8192");
    }

    @Test
    void withoutNetworkTheContainerHasOnlyLoopback() throws Exception {
        String offline = newTaskId();
        String online = newTaskId();
        RuntimeHandle without = start(offline, shell("ls /sys/class/net > net.txt"), new Resources(1, 1, null), false, Map.of());
        RuntimeHandle with = start(online, shell("ls /sys/class/net > net.txt"), new Resources(1, 1, null), true, Map.of());
        awaitExit(without);
        awaitExit(with);

        assertThat(Files.readAllLines(workspace(offline).resolve("net.txt"))).containsExactly("lo");
        assertThat(Files.readAllLines(workspace(online).resolve("net.txt"))).contains("lo").hasSizeGreaterThan(1);
    }

    @Test
    void theAgentGetsParheliaVariablesAndThePassedOnesButNotTheMachinesEnvironment() throws Exception {
        String taskId = newTaskId();
        RuntimeHandle handle = start(taskId, shell("env > env.txt; id -u > uid.txt"), new Resources(1, 1, null), true,
                Map.of("PARHELIA_TASK_ATTEMPT", "2", "ANTHROPIC_API_KEY", "sk-test", "PATH", "/host/only/bin",
                        "HOST_SECRET", "do-not-pass"));
        awaitExit(handle);

        List<String> env = Files.readAllLines(workspace(taskId).resolve("env.txt"));
        assertThat(env).contains("PARHELIA_TASK_ID=" + taskId, "PARHELIA_TASK_ATTEMPT=2", "ANTHROPIC_API_KEY=sk-test",
                "HOME=/home/agent");
        assertThat(env).noneMatch(line -> line.startsWith("HOST_SECRET=")).noneMatch(line -> line.contains("/host/only/bin"));
        assertThat(workspace(taskId).resolve("uid.txt")).as("the agent runs as the owner of the home")
                .hasContent(Files.getAttribute(home, "unix:uid").toString());
    }

    @Test
    void stopEndsTheAgentPolitelyThenRemovesTheContainerAndIsIdempotent() throws Exception {
        String taskId = newTaskId();
        RuntimeHandle handle = start(taskId, fakeClaude("sleep=300 stop me"));
        assertThat(runtime.inspect(handle).phase()).isEqualTo(RuntimeState.Phase.RUNNING);
        assertThat(runtime.listManaged()).extracting(RuntimeHandle::taskId).contains(taskId);

        runtime.stop(handle, Duration.ofSeconds(5));

        assertThat(runtime.inspect(handle)).as("the agent got SIGTERM and the runner recorded it")
                .extracting(RuntimeState::exitCode).isEqualTo(143);
        assertThat(run(List.of("podman", "container", "exists", handle.id()))).isEqualTo(1);
        assertThat(runtime.listManaged()).extracting(RuntimeHandle::taskId).doesNotContain(taskId);
        runtime.stop(handle, Duration.ofSeconds(5));
    }

    @Test
    void anAgentIgnoringSigtermIsKilledWhenTheGraceRunsOut() throws Exception {
        String taskId = newTaskId();
        RuntimeHandle handle = start(taskId, shell("trap '' TERM; touch started; while true; do sleep 1; done"));
        eventually().until(() -> Files.exists(workspace(taskId).resolve("started")));
        long before = System.nanoTime();

        runtime.stop(handle, Duration.ofSeconds(1));

        assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(Duration.ofSeconds(15));
        assertThat(run(List.of("podman", "container", "exists", handle.id()))).isEqualTo(1);
        assertThat(runtime.inspect(handle).phase()).isNotEqualTo(RuntimeState.Phase.RUNNING);
    }

    @Test
    void typedLinesReachTheAgentAndTheAttachCommandFindsItsSession() throws Exception {
        String taskId = newTaskId();
        RuntimeHandle handle = start(taskId, fakeClaude("interactive chat"));
        eventually().until(() -> log(handle).contains("\"type\":\"user\""));

        AttachInfo attach = runtime.attachInfo(handle);
        assertThat(attach.attachable()).isTrue();
        assertThat(attach.command()).isEqualTo("podman exec -it " + handle.id() + " tmux attach -t main");
        assertThat(run(attach.checkCommand())).as("the check command finds the session").isZero();

        runtime.sendInput(handle, "hello \"world\" $(id)", true);
        eventually().until(() -> log(handle).contains("echo: hello \\\"world\\\" $(id)"));
        runtime.sendInput(handle, "quit", true);
        assertThat(awaitExit(handle).exitCode()).isZero();

        eventually().until(() -> !runtime.attachInfo(handle).attachable());
        assertThat(runtime.attachInfo(handle).reason()).contains("exited with code 0", "parhelia_task_logs");
        assertThatThrownBy(() -> runtime.sendInput(handle, "anyone?", true)).isInstanceOf(RuntimeFailure.class)
                .hasMessageContaining(handle.id());
    }

    @Test
    void aLaterProcessOnTheSameHomeFindsAndStopsARunningAgent() throws Exception {
        String taskId = newTaskId();
        start(taskId, fakeClaude("sleep=300 adopt me"));
        PodmanRuntime later = new PodmanRuntime(config(home, Map.of("runtime.podman.image", TestImage.image())));

        RuntimeHandle found = later.listManaged().stream().filter(h -> h.taskId().equals(taskId)).findFirst().orElseThrow();
        assertThat(later.inspect(found).phase()).isEqualTo(RuntimeState.Phase.RUNNING);
        later.stop(found, Duration.ofSeconds(5));

        assertThat(later.inspect(found).exitCode()).isEqualTo(143);
    }

    @Test
    void anotherHomeDoesNotListThisHomesAgents(@TempDir Path otherHome) throws Exception {
        String taskId = newTaskId();
        start(taskId, fakeClaude("sleep=300 mine"));
        PodmanRuntime other = new PodmanRuntime(config(otherHome, Map.of("runtime.podman.image", TestImage.image(),
                "runtime.podman.endpoint", "unix://" + home.resolve("podman").resolve("engine.sock"))));

        assertThat(other.listManaged()).as("that home never started a container").isEmpty();
        Files.createDirectories(otherHome.resolve("podman").resolve("home"));
        assertThat(other.listManaged()).extracting(RuntimeHandle::taskId).doesNotContain(taskId);
        assertThat(runtime.listManaged()).extracting(RuntimeHandle::taskId).contains(taskId);
    }

    @Test
    void availabilityNamesTheEngineAndSaysWhatIsMissing(@TempDir Path otherHome) throws RuntimeFailure {
        runtime.listManaged(); // (re)starts the home's Podman service, which the others below connect to
        Availability usable = runtime.availability();
        assertThat(usable.usable()).as(usable.detail()).isTrue();
        assertThat(usable.detail()).contains("Podman", TestImage.image());

        Availability noImage = new PodmanRuntime(config(otherHome, Map.of("runtime.podman.image", "localhost/no-such-image:1",
                "runtime.podman.endpoint", "unix://" + home.resolve("podman").resolve("engine.sock")))).availability();
        assertThat(noImage.usable()).isFalse();
        assertThat(noImage.detail()).contains("localhost/no-such-image:1", "podman build");

        Availability noEngine = new PodmanRuntime(config(otherHome, Map.of(
                "runtime.podman.endpoint", "unix://" + otherHome.resolve("nothing.sock")))).availability();
        assertThat(noEngine.usable()).isFalse();
        assertThat(noEngine.detail()).contains("runtime.podman.endpoint", "nothing.sock");
    }

    @Test
    void whenItsPodmanServiceHasExitedTheRuntimeStartsItAgain() throws Exception {
        assertThat(runtime.availability().usable()).isTrue();
        TestImage.stopService(home);
        Path socket = home.resolve("podman").resolve("engine.sock");
        eventually().until(() -> !Files.exists(socket));

        String taskId = newTaskId();
        RuntimeHandle handle = start(taskId, fakeClaude("after a restart"));

        assertThat(awaitExit(handle).exitCode()).isZero();
    }

    @Test
    void anImageWithoutTmuxIsRefusedWithWhatToInstall() throws Exception {
        String noTmux = TestImage.withoutTmux();
        assertThat(noTmux).as("the test image without tmux could be made").isNotNull();
        PodmanRuntime withoutTmux = new PodmanRuntime(config(home, Map.of("runtime.podman.image", noTmux)));

        String taskId = newTaskId();
        assertThatThrownBy(() -> withoutTmux.start(new LaunchSpec(taskId, fakeClaude("never runs"), Map.of(),
                workspace(taskId), null, null, new Resources(1, 1, null), null, true)))
                .isInstanceOf(RuntimeFailure.class)
                // The exit code (127) is reported only when inspect is quicker than the container's auto-removal;
                // the reason, read from the run directory, is always there.
                .hasMessageContaining("exited before its runner started")
                .hasMessageContaining("the agent image has no tmux")
                .hasMessageContaining("runtime.podman.image");
        assertThat(run(List.of("podman", "container", "exists", PodmanRuntime.CONTAINER_PREFIX + taskId))).isEqualTo(1);
    }

    @Test
    void aGpuIsRefusedWithTheReason() {
        String taskId = newTaskId();
        assertThatThrownBy(() -> start(taskId, fakeClaude("gpu"), new Resources(1, 1, "T4"), true, Map.of()))
                .isInstanceOf(RuntimeFailure.class).hasMessageContaining("no GPUs");
    }
}

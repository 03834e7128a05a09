package io.parhelia.engine.runtime;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Uses a private tmux server (-L) so that a developer's own tmux sessions are never touched. */
class LocalRuntimeTmuxTest extends LocalRuntimeContract {

    private static final String SOCKET = "parhelia-test-" + UUID.randomUUID().toString().substring(0, 8);

    @BeforeAll
    static void requireTmux() {
        assumeTrue(LocalRuntime.findExecutable("tmux").isPresent(), "tmux is not installed");
    }

    @AfterAll
    static void killPrivateTmuxServer() throws Exception {
        tmux("kill-server");
        // tmux leaves its socket file behind.
        int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        String socketRoot = System.getenv().getOrDefault("TMUX_TMPDIR", "/tmp");
        Files.deleteIfExists(Path.of(socketRoot, "tmux-" + uid, SOCKET));
    }

    @Override
    LocalRuntime.Options options() {
        return LocalRuntime.Options.defaults().withMode(LocalRuntime.Mode.TMUX).withTmuxSocket(SOCKET);
    }

    static ProcessResult tmux(String... arguments) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("tmux", "-L", SOCKET));
        argv.addAll(Arrays.asList(arguments));
        return run(argv);
    }

    record ProcessResult(int exitCode, String output) {
    }

    static ProcessResult run(List<String> argv) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(argv).redirectErrorStream(true);
        builder.environment().remove("TMUX");
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return new ProcessResult(process.exitValue(), output);
    }

    @Test
    void autoModePicksTmuxWhenInstalled() {
        assertThat(new LocalRuntime(temp).mode()).isEqualTo(LocalRuntime.Mode.TMUX);
    }

    @Test
    void availabilityNamesTheTmuxVersion() {
        Availability availability = runtime().availability();

        assertThat(availability.usable()).isTrue();
        assertThat(availability.detail()).startsWith("tmux ");
    }

    /**
     * tmux exits with its last session; a new-session that reaches the server as it exits fails with "server exited
     * unexpectedly". Agents that end at once, started one after another on a server of their own, keep hitting that.
     */
    @Test
    void agentsStartWhileTmuxIsExitingWithTheLastSession() throws Exception {
        String socket = SOCKET + "-churn";
        LocalRuntime churn = new LocalRuntime(temp.resolve("churn-runs"), options().withTmuxSocket(socket));
        try {
            for (int i = 0; i < 80; i++) {
                String taskId = "churn-" + i;
                RuntimeHandle handle = churn.start(new LaunchSpec(taskId, List.of("true"), Map.of(), workspace(taskId),
                        null, null, null, null, true));
                assertThat(handle.attributes().get(LocalRuntime.ATTR_TMUX_SOCKET)).isEqualTo(socket);
            }
        } finally {
            run(List.of("tmux", "-L", socket, "kill-server"));
            int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            Files.deleteIfExists(Path.of(System.getenv().getOrDefault("TMUX_TMPDIR", "/tmp"), "tmux-" + uid, socket));
        }
    }

    @Test
    void paneProcessIsTheRunnerAndTheSessionIsNamedAfterTheTask() throws Exception {
        RuntimeHandle handle = start("pane", FakeAgent.command("sleep=300"));

        assertThat(handle.attributes().get(LocalRuntime.ATTR_TMUX_SOCKET)).isEqualTo(SOCKET);
        ProcessResult panePid = tmux("display-message", "-p", "-t", "=parhelia-pane:", "#{pane_pid}");
        assertThat(panePid.output().strip()).isEqualTo(Long.toString(pid(handle)));
    }

    @Test
    void typedInputReachesAnInteractiveAgent() throws Exception {
        RuntimeHandle handle = start("typing", FakeAgent.command("interactive"));
        awaitLogContains(handle, "\"subtype\":\"init\"");

        runtime().sendInput(handle, "hello $(id) 'there'", true);
        awaitLogContains(handle, "echo: hello $(id) 'there'");
        runtime().sendInput(handle, "quit", true);

        assertThat(awaitExit(handle).exitCode()).isZero();
        assertThatThrownBy(() -> runtime().sendInput(handle, "too late", true))
                .isInstanceOf(RuntimeFailure.class).hasMessageContaining("gone");
    }

    private void awaitLogContains(RuntimeHandle handle, String text) {
        await().atMost(Duration.ofSeconds(15)).until(() -> new String(runtime().readLog(handle, 0, 1 << 20).data(),
                StandardCharsets.UTF_8).contains(text));
    }

    @Test
    void attachCommandWorksWhileRunningAndExplainsWhyNotAfterExit() throws Exception {
        RuntimeHandle handle = start("attach", FakeAgent.command("sleep=300"));

        AttachInfo attach = runtime().attachInfo(handle);
        assertThat(attach.command()).isEqualTo("tmux -L " + SOCKET + " attach -t parhelia-attach");
        assertThat(attach.attachable()).isTrue();
        List<String> hasSession = attach.checkCommand();
        assertThat(hasSession).containsExactly("tmux", "-L", SOCKET, "has-session", "-t", "=parhelia-attach");
        assertThat(run(hasSession).exitCode()).isZero();

        runtime().stop(handle, Duration.ofSeconds(5));

        AttachInfo afterStop = runtime().attachInfo(handle);
        assertThat(afterStop.attachable()).isFalse();
        assertThat(afterStop.reason()).contains("exited", "parhelia_task_logs");
        assertThat(run(hasSession).exitCode()).isNotZero();
    }

    @Test
    void aPersonAttachedSeesTheAgentsOutput() throws Exception {
        RuntimeHandle handle = start("visible", FakeAgent.command("sleep=300"));

        eventually().until(() -> tmux("capture-pane", "-p", "-t", "=parhelia-visible:").output(),
                screen -> screen.contains("\"subtype\":\"init\""));
        runtime().stop(handle, Duration.ofSeconds(5));
    }

    @Test
    void keysTypedIntoTheSessionReachAnInteractiveAgent() throws Exception {
        RuntimeHandle handle = start("typing", FakeAgent.command("interactive"));
        eventually().until(() -> log(handle), log -> log.contains("tool_result"));

        tmux("send-keys", "-t", "=parhelia-typing:", "-l", "hello from a person");
        tmux("send-keys", "-t", "=parhelia-typing:", "Enter");
        eventually().until(() -> log(handle), log -> log.contains("echo: hello from a person"));
        tmux("send-keys", "-t", "=parhelia-typing:", "-l", "quit");
        tmux("send-keys", "-t", "=parhelia-typing:", "Enter");

        assertThat(awaitExit(handle).exitCode()).isZero();
    }

    @Test
    void aFinishedSessionKeptByRemainOnExitDoesNotBlockARestart() throws Exception {
        RuntimeHandle first = start("kept", FakeAgent.command("sleep=300"));
        assertThat(tmux("set-option", "-w", "-t", "=parhelia-kept:", "remain-on-exit", "on").exitCode()).isZero();
        Process kill = new ProcessBuilder("kill", "-TERM", "--", "-" + pid(first)).start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        awaitExit(first);
        assertThat(tmux("has-session", "-t", "=parhelia-kept").exitCode()).isZero();

        RuntimeHandle second = start("kept", FakeAgent.command("quick"));

        assertThat(awaitExit(second).exitCode()).isZero();
    }

    @Test
    void sessionsOfAnotherParheliaHomeAreNotListed() throws Exception {
        assertThat(tmux("new-session", "-d", "-s", "parhelia-elsewhere", "sleep", "300").exitCode()).isZero();
        try {
            assertThat(runtime().listManaged()).isEmpty();
        } finally {
            tmux("kill-session", "-t", "=parhelia-elsewhere");
        }
    }

    @Test
    void noTmuxServerMeansNoAgents() throws Exception {
        LocalRuntime unusedServer = new LocalRuntime(temp.resolve("runs"),
                options().withTmuxSocket(SOCKET + "-never-started"));

        assertThat(unusedServer.listManaged()).isEmpty();
    }

    @Test
    void failingTmuxListingIsAnErrorNotAnEmptyList() throws Exception {
        Path brokenTmux = temp.resolve("broken-tmux");
        Files.writeString(brokenTmux, "#!/bin/sh\necho 'lost connection to the universe' >&2\nexit 1\n");
        Files.setPosixFilePermissions(brokenTmux, PosixFilePermissions.fromString("rwx------"));
        LocalRuntime broken = new LocalRuntime(temp.resolve("runs"), options().withTmuxBinary(brokenTmux.toString()));

        assertThatThrownBy(broken::listManaged).isInstanceOf(RuntimeFailure.class)
                .hasMessageContaining("lost connection to the universe");
        assertThat(broken.availability().usable()).isFalse();
    }
}

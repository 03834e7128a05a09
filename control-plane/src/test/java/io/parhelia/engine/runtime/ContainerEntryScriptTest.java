package io.parhelia.engine.runtime;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The container entry run here with bash and tmux, as a container whose run directory Parhelia
 * prepared and shares (the podman runtime's way) runs it: no container is needed to see what it does.
 * The Pod's way (run files from arguments, log to standard output) is runtime-kubernetes'
 * PodEntryScriptTest. The tmux socket lives in the test's directory.
 */
class ContainerEntryScriptTest {

    @TempDir
    Path dir;

    private Process entry;

    @BeforeAll
    static void requireTmux() {
        assumeTrue(LocalRuntime.findExecutable("tmux").isPresent(), "tmux is not installed");
    }

    @AfterEach
    void stop() throws Exception {
        EntryScriptProcess.stop(entry, dir);
    }

    private RunDirectory prepare(List<String> argv) throws IOException {
        Path workspace = Files.createDirectories(dir.resolve("workspace"));
        RunDirectory run = new RunDirectory(dir.resolve("run"));
        run.prepare(new LaunchSpec("task-1", argv, Map.of(), workspace, null, null, new Resources(1, 1, null), null, true),
                Map.of());
        Files.write(run.path().resolve(RunDirectory.CONTAINER_ENTRY), RunDirectory.resource(RunDirectory.class,
                RunDirectory.CONTAINER_ENTRY));
        return run;
    }

    /** As PodmanRuntime starts its containers: `bash ENTRY RUN_DIR` in the workspace. */
    private Process start(RunDirectory run, String path, String... extraArguments) throws IOException {
        // bash by its path: the test without tmux gives the entry a PATH without it, and bash too.
        String bash = LocalRuntime.findExecutable("bash").orElseThrow().toString();
        List<String> command = new ArrayList<>(List.of(bash, run.path().resolve(RunDirectory.CONTAINER_ENTRY).toString(),
                run.path().toString()));
        command.addAll(List.of(extraArguments));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.resolve("workspace").toFile())
                .redirectOutput(dir.resolve("stdout").toFile()).redirectErrorStream(true);
        builder.environment().put("TMUX_TMPDIR", dir.toString());
        builder.environment().remove("TMUX");
        if (path != null) {
            builder.environment().put("PATH", path);
        }
        entry = builder.start();
        return entry;
    }

    private String stdout() throws IOException {
        return Files.readString(dir.resolve("stdout"), StandardCharsets.UTF_8);
    }

    private static String log(RunDirectory run) throws RuntimeFailure {
        return new String(run.readLog(0, 1 << 20).data(), StandardCharsets.UTF_8);
    }

    @Test
    void theAgentRunsInTheContainerSessionInTheWorkspaceAndItsExitCodeIsRecordedAndReturned() throws Exception {
        RunDirectory run = prepare(List.of("bash", "-c", "tmux has-session -t " + RunDirectory.CONTAINER_SESSION
                + " && echo in-session; pwd; printf '<%s>\\n' \"$@\"; exit 7", "agent", "two words", ""));
        Process process = start(run, null);

        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("the container's exit code is the agent's").isEqualTo(7);
        assertThat(run.exitState()).hasValueSatisfying(state -> assertThat(state.exitCode()).isEqualTo(7));
        assertThat(log(run)).contains("in-session\n" + dir.resolve("workspace") + "\n<two words>\n<>\n");
        assertThat(stdout()).as("the log stays in the run directory").doesNotContain("in-session");
    }

    @Test
    void theSessionIsNamedMainForEveryContainerRuntime() {
        assertThat(RunDirectory.CONTAINER_SESSION).isEqualTo("main");
    }

    @Test
    void sigtermReachesTheAgentsProcessGroupAndComesAgainAfterAMoment() throws Exception {
        // The agent ends on the second SIGTERM only: the entry sends it again, for an agent that the
        // runner started just as the first one came.
        RunDirectory run = prepare(List.of("bash", "-c", "n=0; trap 'n=$((n+1)); echo TERM $n; (( n == 2 )) && exit 42' TERM; "
                + "echo ready; while true; do sleep 0.1; done"));
        Process process = start(run, null);
        await().atMost(Duration.ofSeconds(20)).until(() -> log(run).contains("ready"));

        process.destroy(); // SIGTERM, as the engine sends it to the container's first process
        assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(log(run)).contains("TERM 1\n", "TERM 2\n");
        assertThat(process.exitValue()).isEqualTo(42);
        assertThat(run.exitState()).hasValueSatisfying(state -> assertThat(state.exitCode()).isEqualTo(42));
    }

    @Test
    void withoutTmuxItSaysSoInTheContainersOutputAndTheAgentsLog() throws Exception {
        RunDirectory run = prepare(List.of("true"));
        Path noTmux = Files.createDirectories(dir.resolve("bin-without-tmux"));
        Process process = start(run, noTmux.toString());

        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(127);
        assertThat(stdout()).contains("the agent image has no tmux", "Install tmux in the image");
        assertThat(log(run)).contains("the agent image has no tmux");
        assertThat(run.exitState()).as("the agent never ran").isEmpty();
    }

    @Test
    void anAgentCommandAsArgumentsIsRefusedWhenTheRunDirectoryHoldsIt() throws Exception {
        RunDirectory run = prepare(List.of("true"));
        Process process = start(run, null, "rm", "-rf", "something");

        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(2);
        assertThat(stdout()).contains("only with --write-run-files");
        assertThat(run.exitState()).isEmpty();
    }
}

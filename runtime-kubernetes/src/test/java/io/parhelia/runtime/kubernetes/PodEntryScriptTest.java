package io.parhelia.runtime.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.parhelia.engine.runtime.EntryScriptProcess;
import io.parhelia.engine.runtime.LaunchSpec;
import io.parhelia.engine.runtime.Resources;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent container's command, exactly as a Pod would run it, run here with bash and tmux: no
 * cluster is needed to see what happens inside the container. The run directory and the tmux
 * socket live in a temporary directory instead of the Pod's volumes.
 */
class PodEntryScriptTest {

    @TempDir
    Path dir;

    private Process entry;

    @AfterEach
    void stop() throws Exception {
        EntryScriptProcess.stop(entry, dir);
    }

    /** The Pod's agent command with the Pod's paths moved into the test's directory. */
    private Process start(List<String> agentArgv, String stdin) throws Exception {
        Path workspace = Files.createDirectories(dir.resolve("workspace"));
        LaunchSpec spec = new LaunchSpec("task-1", agentArgv, Map.of(), workspace, null, null, new Resources(1, 1, null),
                stdin, true);
        Pod pod = AgentPod.build(spec, KubernetesFixtures.settings(), 5);
        List<String> command = new ArrayList<>(pod.getSpec().getContainers().get(0).getCommand());
        int runDir = command.indexOf("/parhelia/run");
        assertThat(runDir).as("the run directory argument").isPositive();
        command.set(runDir, dir.resolve("run").toString());
        if (stdin != null) {
            Path stdinFile = dir.resolve("stdin-from-annotation");
            Files.writeString(stdinFile, pod.getMetadata().getAnnotations().get(AgentPod.STDIN_ANNOTATION));
            int stdinArgument = command.indexOf("/parhelia/launch/stdin");
            assertThat(stdinArgument).as("the standard input argument").isPositive();
            command.set(stdinArgument, stdinFile.toString());
        }
        ProcessBuilder builder = new ProcessBuilder(command).directory(workspace.toFile())
                .redirectOutput(dir.resolve("stdout").toFile()).redirectErrorStream(true);
        builder.environment().put("TMUX_TMPDIR", dir.toString());
        builder.environment().remove("TMUX");
        entry = builder.start();
        return entry;
    }

    private String stdout() throws IOException {
        return Files.readString(dir.resolve("stdout"), StandardCharsets.UTF_8);
    }

    @Test
    void theAgentRunsInTmuxSessionMainWithItsArgumentsIntactAndItsExitCodeBecomesTheContainers() throws Exception {
        Process process = start(List.of("bash", "-c", "printf '<%s>\\n' \"$@\"; tmux has-session -t main && echo in-tmux; "
                + "pwd; exit 7", "agent", "two words", "it's \"quoted\"; $(not run)", ""), null);

        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(7);
        assertThat(dir.resolve("run").resolve("exit_code")).as("recorded in the run directory too").hasContent("7");
        assertThat(stdout()).contains("<two words>\n<it's \"quoted\"; $(not run)>\n<>\n")
                .contains("in-tmux").contains(dir.resolve("workspace").toString());
    }

    @Test
    void aLongPromptReachesTheAgentOnItsStandardInput() throws Exception {
        String prompt = "line one\n" + "x".repeat(150_000) + "\nthe end";
        Process process = start(List.of("bash", "-c", "wc -c; exit 0"), prompt);

        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isZero();
        assertThat(stdout().strip()).endsWith(Integer.toString(prompt.getBytes(StandardCharsets.UTF_8).length));
    }

    @Test
    void everyLineTheAgentWritesReachesTheContainersOutputEvenAtTheLastMoment() throws Exception {
        Process process = start(List.of("bash", "-c", "for i in $(seq 1 2000); do echo line-$i; done; exit 0"), null);

        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(stdout()).contains("line-1\n").endsWith("line-2000\n");
    }

    @Test
    void sigtermFromTheKubeletStopsTheAgentWhichMayStillReportHowItEnded() throws Exception {
        Process process = start(List.of("bash", "-c", "trap 'echo agent got TERM; exit 42' TERM; echo ready; "
                + "while true; do sleep 0.1; done"), null);
        await().atMost(Duration.ofSeconds(20)).until(() -> stdout().contains("ready"));

        process.destroy(); // SIGTERM, as the kubelet sends it when the Pod is deleted
        assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(stdout()).contains("agent got TERM");
        assertThat(process.exitValue()).isEqualTo(42);
    }
}

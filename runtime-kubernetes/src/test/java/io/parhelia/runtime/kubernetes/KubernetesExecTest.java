package io.parhelia.runtime.kubernetes;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.server.mock.OutputStreamMessage;
import io.fabric8.kubernetes.client.server.mock.StatusMessage;
import io.parhelia.engine.runtime.LaunchSpec;
import io.parhelia.engine.runtime.Resources;
import io.parhelia.engine.runtime.RuntimeFailure;
import io.parhelia.engine.runtime.RuntimeHandle;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Typing into an agent goes through the exec API into its tmux session. The mock server answers
 * exec only in expectation mode, where it also serves no watch: the runtime then asks the API for
 * the Pod directly, which this covers too.
 */
@EnableKubernetesMockClient
class KubernetesExecTest {

    private static final String POD_PATH = "/api/v1/namespaces/test/pods/parhelia-task-x1";
    private static final String EXEC_PATH = POD_PATH + "/exec?command=tmux&command=send-keys&command=-t&command=main";

    KubernetesClient client;
    KubernetesMockServer server;

    private KubernetesRuntime runtime;
    private RuntimeHandle handle;

    @BeforeEach
    void runningAgent() throws RuntimeFailure {
        KubernetesClient configured = ClusterConnector.client(new ConfigBuilder(client.getConfiguration()).build());
        runtime = new KubernetesRuntime(KubernetesFixtures.settings(), 5, () -> configured, Clock.systemUTC());
        Pod pod = new PodBuilder(KubernetesFixtures.running(AgentPod.build(new LaunchSpec("task-x1", List.of("claude"),
                Map.of(), Path.of("/w"), null, null, new Resources(1, 1, null), null, true), KubernetesFixtures.settings(), 5)))
                .editMetadata().withNamespace("test").withUid("uid-1").endMetadata().build();
        server.expect().get().withPath(POD_PATH).andReturn(200, pod).always();
        handle = new RuntimeHandle("kubernetes", "parhelia-task-x1", "task-x1", Map.of("namespace", "test", "uid", "uid-1"));
    }

    @Test
    void textIsTypedLiterallyIntoTheTmuxSessionThenEnter() throws Exception {
        server.expect().get().withPath(EXEC_PATH + "&command=-l&command=--&command=fix%20it%3B%20%24%28rm%29"
                        + "&container=agent&stdout=true&stderr=true")
                .andUpgradeToWebSocket().open(new StatusMessage(0)).done().once();
        server.expect().get().withPath(EXEC_PATH + "&command=Enter&container=agent&stdout=true&stderr=true")
                .andUpgradeToWebSocket().open(new StatusMessage(0)).done().once();

        // The mock answers any other exec with 404, which would fail the call.
        runtime.sendInput(handle, "fix it; $(rm)", true);
    }

    @Test
    void tmuxRefusingIsAFailureWithItsMessage() {
        server.expect().get().withPath(EXEC_PATH + "&command=Enter&container=agent&stdout=true&stderr=true")
                .andUpgradeToWebSocket().open(new OutputStreamMessage("can't find session: main\n"), new StatusMessage(exitCode(1)))
                .done().once();

        assertThatThrownBy(() -> runtime.sendInput(handle, "", true)).isInstanceOf(RuntimeFailure.class)
                .hasMessageContaining("exit 1").hasMessageContaining("can't find session: main");
    }

    /** What the API server sends on the status channel when the command exits with a code other than 0. */
    private static Status exitCode(int code) {
        return new StatusBuilder().withStatus("Failure").withReason("NonZeroExitCode").withNewDetails().addNewCause()
                .withReason("ExitCode").withMessage(Integer.toString(code)).endCause().endDetails().build();
    }
}

package io.parhelia.runtime.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.parhelia.engine.config.ConfigLoader;
import io.parhelia.engine.config.ParheliaConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The manifests shipped to run the server in a cluster, read as Kubernetes reads them. */
@EnableKubernetesMockClient
class ManifestsTest {

    private static final Path MANIFESTS = Path.of("..", "dist", "src", "main", "kubernetes");

    static KubernetesClient client;

    private final List<HasMetadata> objects = new ArrayList<>();

    @BeforeEach
    void load() throws IOException {
        try (Stream<Path> files = Files.list(MANIFESTS)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml") && !f.endsWith("kustomization.yaml")).toList()) {
                try (InputStream in = Files.newInputStream(file)) {
                    objects.addAll(client.load(in).items());
                }
            }
        }
    }

    private <T extends HasMetadata> T only(Class<T> kind) {
        List<T> found = objects.stream().filter(kind::isInstance).map(kind::cast).toList();
        assertThat(found).as(kind.getSimpleName()).hasSize(1);
        return found.get(0);
    }

    private Container server() {
        return only(Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    @Test
    void theKustomizationListsEveryManifest() throws IOException {
        String kustomization = Files.readString(MANIFESTS.resolve("kustomization.yaml"));
        try (Stream<Path> files = Files.list(MANIFESTS)) {
            files.map(f -> f.getFileName().toString()).filter(name -> !name.equals("kustomization.yaml"))
                    .forEach(name -> assertThat(kustomization).contains("- " + name));
        }
    }

    @Test
    void theRoleAllowsExactlyWhatTheRuntimeDoesAndIsBoundToTheServersAccount() {
        Role role = only(Role.class);
        assertThat(role.getRules()).extracting(PolicyRule::getApiGroups, PolicyRule::getResources, PolicyRule::getVerbs)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple(List.of(""), List.of("pods"),
                                List.of("create", "get", "list", "watch", "delete")),
                        org.assertj.core.groups.Tuple.tuple(List.of(""), List.of("pods/log"), List.of("get")),
                        org.assertj.core.groups.Tuple.tuple(List.of(""), List.of("pods/exec"), List.of("create")));
        assertThat(role.getRules()).allSatisfy(rule -> assertThat(rule.getResourceNames()).isNullOrEmpty());

        RoleBinding binding = only(RoleBinding.class);
        assertThat(binding.getRoleRef().getName()).isEqualTo(role.getMetadata().getName());
        assertThat(binding.getSubjects()).singleElement().satisfies(subject -> {
            assertThat(subject.getKind()).isEqualTo("ServiceAccount");
            assertThat(subject.getName()).isEqualTo(only(ServiceAccount.class).getMetadata().getName());
        });
        assertThat(only(Deployment.class).getSpec().getTemplate().getSpec().getServiceAccountName())
                .isEqualTo(only(ServiceAccount.class).getMetadata().getName());
    }

    @Test
    void theServerRunsHttpWithAuthBehindProbesAsANonRootUser() {
        Container server = server();
        assertThat(server.getCommand()).containsExactly("parhelia");
        assertThat(server.getArgs()).containsExactly("mcp-server", "--transport", "http", "--host", "0.0.0.0", "--port",
                "8080", "--auth", "--allow-insecure-http");
        assertThat(server.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
        assertThat(server.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(server.getPorts()).singleElement().satisfies(port -> assertThat(port.getContainerPort()).isEqualTo(8080));
        assertThat(only(Deployment.class).getSpec().getTemplate().getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(server.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(server.getEnv()).filteredOn(e -> e.getName().equals("PARHELIA_AUTH_TOKENS")).singleElement()
                .satisfies(e -> assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("parhelia-tokens"));

        Service service = only(Service.class);
        assertThat(service.getSpec().getSelector())
                .isEqualTo(only(Deployment.class).getSpec().getTemplate().getMetadata().getLabels());
        assertThat(service.getSpec().getPorts()).singleElement()
                .satisfies(port -> assertThat(port.getTargetPort().getStrVal()).isEqualTo(server.getPorts().get(0).getName()));
    }

    @Test
    void theServersConfigurationRunsAgentsInTheNamespaceTheRoleCovers() {
        Map<String, String> env = new HashMap<>();
        for (EnvVar variable : server().getEnv()) {
            if (variable.getValue() != null) {
                env.put(variable.getName(), variable.getValue());
            }
        }
        ParheliaConfig config = new ConfigLoader().load(null, env, Map.of());
        assertThat(config.tasks().defaultRuntime()).isEqualTo(KubernetesRuntime.NAME);
        assertThat(config.runtime().kubernetes().enabled()).isTrue();
        String namespace = config.runtime().kubernetes().namespace();
        assertThat(objects).allSatisfy(object -> {
            if (!object.getKind().equals("Namespace")) {
                assertThat(object.getMetadata().getNamespace()).as(object.getKind()).isEqualTo(namespace);
            }
        });
        assertThat(objects).filteredOn(o -> o.getKind().equals("Secret"))
                .extracting(o -> o.getMetadata().getName()).contains(config.runtime().kubernetes().agentSecret());
        assertThat(config.home()).isEqualTo(Path.of(server().getVolumeMounts().get(0).getMountPath()));
    }

    @Test
    void podsOfTasksWithoutNetworkGetNoTrafficEitherWay() {
        NetworkPolicy policy = only(NetworkPolicy.class);
        assertThat(policy.getSpec().getPodSelector().getMatchLabels())
                .containsExactly(Map.entry(AgentPod.NETWORK_LABEL, AgentPod.NO_NETWORK));
        assertThat(policy.getSpec().getPolicyTypes()).containsExactlyInAnyOrder("Ingress", "Egress");
        assertThat(policy.getSpec().getIngress()).isNullOrEmpty();
        assertThat(policy.getSpec().getEgress()).isNullOrEmpty();
    }
}

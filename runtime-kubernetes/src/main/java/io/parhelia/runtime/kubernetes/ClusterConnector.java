package io.parhelia.runtime.kubernetes;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.parhelia.engine.runtime.RuntimeFailure;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Makes the client the runtime talks to its cluster with. */
@FunctionalInterface
interface ClusterConnector {

    /** A slow or silent API server must not hold up a health check or a tool call for long. */
    int CONNECT_TIMEOUT_MILLIS = 5_000;
    int REQUEST_TIMEOUT_MILLIS = 10_000;

    /** A client for the cluster; throws, saying what to set up, when there is no cluster to reach. */
    KubernetesClient connect() throws RuntimeFailure;

    /**
     * The kubeconfig ({@code $KUBECONFIG}, else {@code ~/.kube/config}) with the given context (empty
     * for its current one), else the in-cluster service account.
     */
    static ClusterConnector fromEnvironment(String context, Map<String, String> env) {
        return () -> {
            boolean inCluster = env.get("KUBERNETES_SERVICE_HOST") != null
                    && Files.isReadable(Path.of(Config.KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH));
            List<Path> kubeconfigs = kubeconfigFiles(env);
            if (kubeconfigs.stream().noneMatch(Files::isReadable) && !inCluster) {
                throw new RuntimeFailure("no kubeconfig at " + kubeconfigs + " and not running inside a cluster; point "
                        + "KUBECONFIG at a kubeconfig file for the cluster, or run Parhelia in it (kubernetes/ in the Parhelia tarball)");
            }
            Config config;
            try {
                config = Config.autoConfigure(context.isBlank() ? null : context);
            } catch (RuntimeException e) {
                throw new RuntimeFailure("the kubeconfig could not be read: " + e.getMessage(), e);
            }
            if (!context.isBlank() && (config.getCurrentContext() == null
                    || !context.equals(config.getCurrentContext().getName()))) {
                throw new RuntimeFailure("runtime.kubernetes.context is '" + context + "', which the kubeconfig "
                        + kubeconfigs + " does not have; `kubectl config get-contexts` lists the ones it has");
            }
            return client(config);
        };
    }

    /**
     * No retries with back-off inside a request (by default they add up to minutes): the reconciler
     * asks again in a few seconds anyway, and a tool call should hear of the failure at once.
     */
    static KubernetesClient client(Config config) {
        config.setConnectionTimeout(CONNECT_TIMEOUT_MILLIS);
        config.setRequestTimeout(REQUEST_TIMEOUT_MILLIS);
        config.setRequestRetryBackoffLimit(0);
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    private static List<Path> kubeconfigFiles(Map<String, String> env) {
        String listed = env.get("KUBECONFIG");
        if (listed != null && !listed.isBlank()) {
            return Arrays.stream(listed.split(File.pathSeparator)).filter(s -> !s.isBlank()).map(Path::of).toList();
        }
        return List.of(Path.of(System.getProperty("user.home"), ".kube", "config"));
    }
}

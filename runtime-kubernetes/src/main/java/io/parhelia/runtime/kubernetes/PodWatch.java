package io.parhelia.runtime.kubernetes;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A live copy of Parhelia's Pods in one namespace: an informer lists them once, then follows the
 * API's watch, reconnecting by itself. The reconciler's every-few-seconds questions (is this agent
 * still running? which agents are there?) are answered from it instead of a request per task, and a
 * Pod that ends or is deleted shows up at the next question. The copy is offered only while the
 * watch runs: a copy that stopped following the cluster would call live agents gone.
 */
final class PodWatch implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PodWatch.class);

    private final String namespace;
    private final SharedIndexInformer<Pod> informer;
    private volatile String problem = "the watch is starting";

    PodWatch(KubernetesClient client, String namespace) {
        this.namespace = namespace;
        this.informer = client.pods().inNamespace(namespace).withLabel(AgentPod.MANAGED_BY_LABEL, AgentPod.MANAGED_BY)
                .runnableInformer(0);
        // Keep trying through outages and refusals: the watch recovers when the cluster does.
        informer.exceptionHandler((started, failure) -> {
            String reason = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
            if (!reason.equals(problem)) {
                log.warn("the watch on Parhelia's Pods in namespace {} failed: {}", namespace, reason);
            }
            problem = reason;
            return true;
        });
        informer.stopped().whenComplete((ignored, failure) -> problem = failure == null ? "the watch was stopped"
                : "the watch stopped: " + failure.getMessage());
        informer.start().whenComplete((ignored, failure) -> {
            if (failure == null) {
                problem = null;
            }
        });
    }

    String namespace() {
        return namespace;
    }

    /** Whether the informer has stopped for good, so that a new one must take its place. */
    boolean stopped() {
        return informer.stopped().toCompletableFuture().isDone();
    }

    /** Whether the copy follows the cluster now: listed once and watching since. */
    boolean isCurrent() {
        return informer.hasSynced() && informer.isWatching();
    }

    /** The Pods as the watch has them; ask {@link #isCurrent()} first. */
    List<Pod> cachedPods() {
        return informer.getStore().list();
    }

    /** The Pod with this name as the watch has it, or null when it has not seen one; ask {@link #isCurrent()} first. */
    Pod cachedPod(String name) {
        return informer.getStore().getByKey(Cache.namespaceKeyFunc(namespace, name));
    }

    /** Why the copy does not follow the cluster now. */
    String problem() {
        String reason = problem;
        return reason != null ? reason : "the watch is reconnecting";
    }

    @Override
    public void close() {
        informer.close();
    }
}

package io.parhelia.engine.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The resolved configuration; see {@code defaults.toml} for what each key means. */
public record ParheliaConfig(Path home, Agent agent, Tasks tasks, Reconciler reconciler, Events events, Budget budget,
                             Runtime runtime, Checkpoints checkpoints, Mcp mcp, Http http) {

    public record Agent(List<String> command, List<String> resumeArgs, int maxTurns) {
        public Agent {
            command = List.copyOf(command);
            resumeArgs = List.copyOf(resumeArgs);
        }
    }

    /** @param defaultNetwork whether a task's agent may use the network unless the task says otherwise */
    public record Tasks(String defaultRuntime, long defaultTimeoutSeconds, double defaultCpu,
                        double defaultMemoryGb, long stopGraceSeconds, boolean defaultNetwork) {
    }

    public record Reconciler(long intervalSeconds, long lostGraceSeconds, int degradedAfterMisses,
                             int unhealthyAfterMisses, int deadAfterMisses, long orphanGraceSeconds,
                             boolean terminateOrphans) {
    }

    public record Events(long subscriptionTtlSeconds) {
    }

    /**
     * The budget's defaults; parhelia_budget_set stores settings that win over the first three once set.
     * Dollars throughout; warningThreshold is a fraction of the ceiling.
     */
    public record Budget(double ceilingUsd, double warningThreshold, double perTaskCapUsd, Rates rates) {
        /** Dollars per hour; gpuHour by GPU type. */
        public record Rates(double cpuCoreHour, double memoryGbHour, Map<String, Double> gpuHour) {
            public Rates {
                gpuHour = Map.copyOf(gpuHour);
            }
        }
    }

    public record Runtime(Local local, Podman podman, Kubernetes kubernetes) {
        public record Local(String mode, String tmuxSocket) {
        }

        /**
         * @param endpoint   the Docker Engine API to use ({@code unix:///path} or {@code tcp://host:port}); empty
         *                   means {@code $DOCKER_HOST} when it answers, else a Podman service Parhelia starts
         * @param ociRuntime the OCI runtime a Podman service started by Parhelia uses; empty for Podman's default
         * @param image      the agent image
         * @param user       "uid:gid" (or a user the image knows) agents run as; empty for the uid and gid of Parhelia
         * @param passEnv    names of the server's environment variables agents get, besides PARHELIA_*
         * @param pidsLimit  most processes in one agent container (cgroup pids limit and nproc ulimit)
         * @param nofileLimit open files per process in an agent container (nofile ulimit)
         * @param serviceIdleSeconds a Podman service started by Parhelia exits after this long unused
         */
        public record Podman(String endpoint, String ociRuntime, String image, String user, List<String> passEnv,
                             long pidsLimit, long nofileLimit, long serviceIdleSeconds) {
            public Podman {
                passEnv = List.copyOf(passEnv);
            }
        }

        /**
         * @param enabled         whether Parhelia uses a cluster at all; off, it never contacts one
         * @param context         the kubeconfig context; empty for the current one, or the in-cluster service account
         * @param namespace       where agent Pods are created
         * @param image           the agent image
         * @param imagePullPolicy Always, IfNotPresent or Never, for both images
         * @param gitImage        the image whose git clones the workspace; empty for the agent image
         * @param agentSecret     a Secret in the namespace whose keys become the agent's environment; empty for none
         * @param gpuNodeLabel    the node label that names a node's GPU model; empty to schedule GPU Pods on any GPU node
         * @param gpuNodeValues   that label's value for each GPU type a task may ask for
         */
        public record Kubernetes(boolean enabled, String context, String namespace, String image, String imagePullPolicy,
                                 String gitImage, String agentSecret, String gpuNodeLabel,
                                 Map<String, String> gpuNodeValues, long keepEndedPodsHours) {
            public Kubernetes {
                gpuNodeValues = Map.copyOf(gpuNodeValues);
                if (keepEndedPodsHours < 1) {
                    throw new IllegalArgumentException("keep_ended_pods_hours must be at least 1, got " + keepEndedPodsHours);
                }
            }
        }
    }

    /**
     * @param periodicMinutes how often a running task is checkpointed; 0 turns it off
     * @param exclude         file and directory names left out of every checkpoint, wherever they are
     */
    public record Checkpoints(double periodicMinutes, int keepPerTask, List<String> exclude) {
        public Checkpoints {
            exclude = List.copyOf(exclude);
        }
    }

    /**
     * The MCP server, whichever the transport.
     *
     * @param checkResults validate every tool result against its outputSchema before sending it
     */
    public record Mcp(boolean checkResults) {
    }

    /**
     * The Streamable HTTP server ({@code parhelia mcp-server --transport http}); its flags override these.
     *
     * @param host                  the address to bind
     * @param allowedHosts          Host header values accepted besides the bound address and loopback names
     *                              (a {@code :*} suffix allows any port)
     * @param allowedOrigins        Origin header values accepted besides loopback origins; requests without
     *                              an Origin (non-browser clients) are accepted
     * @param maxRequestBytes       a larger POST body gets 413
     * @param sessionIdleSeconds    an MCP session unused for this long is closed and its id answers 404
     * @param keepAliveSeconds      how often open SSE streams get a keep-alive; 0 turns them off
     * @param shutdownGraceSeconds  how long calls in flight may take to finish on SIGTERM
     */
    public record Http(String host, int port, List<String> allowedHosts, List<String> allowedOrigins,
                       long maxRequestBytes, long sessionIdleSeconds, long keepAliveSeconds,
                       long shutdownGraceSeconds) {
        public Http {
            allowedHosts = List.copyOf(allowedHosts);
            allowedOrigins = List.copyOf(allowedOrigins);
        }
    }

    public ParheliaHome paths() {
        return new ParheliaHome(home);
    }
}

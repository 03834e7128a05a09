package io.parhelia.engine.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The resolved configuration; see {@code defaults.toml} for what each key means. */
public record ParheliaConfig(Path home, Agent agent, Tasks tasks, Reconciler reconciler, Events events, Budget budget,
                             Runtime runtime, Checkpoints checkpoints) {

    public record Agent(List<String> command, List<String> resumeArgs, int maxTurns) {
        public Agent {
            command = List.copyOf(command);
            resumeArgs = List.copyOf(resumeArgs);
        }
    }

    public record Tasks(String defaultRuntime, long defaultTimeoutSeconds, double defaultCpu,
                        double defaultMemoryGb, long stopGraceSeconds) {
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

    public record Runtime(Local local) {
        public record Local(String mode, String tmuxSocket) {
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

    public ParheliaHome paths() {
        return new ParheliaHome(home);
    }
}

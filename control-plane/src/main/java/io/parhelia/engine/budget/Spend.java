package io.parhelia.engine.budget;

import java.util.Comparator;
import java.util.List;

/** Everything spent, per task and in total, as of one moment. */
public record Spend(List<TaskSpend> tasks) {

    public Spend {
        tasks = List.copyOf(tasks);
    }

    public double computeUsd() {
        return tasks.stream().mapToDouble(TaskSpend::computeUsd).sum();
    }

    public double apiUsd() {
        return tasks.stream().mapToDouble(TaskSpend::apiUsd).sum();
    }

    public double totalUsd() {
        return computeUsd() + apiUsd();
    }

    /** The costliest tasks first; tasks that cost nothing are left out. */
    public List<TaskSpend> top(int limit) {
        return tasks.stream().filter(t -> t.totalUsd() > 0)
                .sorted(Comparator.comparingDouble(TaskSpend::totalUsd).reversed().thenComparing(TaskSpend::taskId))
                .limit(limit).toList();
    }
}

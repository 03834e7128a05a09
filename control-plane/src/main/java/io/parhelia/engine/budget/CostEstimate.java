package io.parhelia.engine.budget;

import io.parhelia.engine.runtime.Resources;
import java.time.Duration;

/** The compute cost of holding resources for a duration, by part; the worst case of a task is at its timeout. */
public record CostEstimate(Resources resources, Duration duration, ComputeRates rates, double cpuUsd,
                           double memoryUsd, double gpuUsd) {

    static CostEstimate of(Resources resources, Duration duration, ComputeRates rates) {
        double hours = duration.toMillis() / 3_600_000.0;
        return new CostEstimate(resources, duration, rates, resources.cpu() * rates.cpuCoreHour() * hours,
                resources.memoryGb() * rates.memoryGbHour() * hours, rates.gpuPerHour(resources.gpu()) * hours);
    }

    public double hours() {
        return duration.toMillis() / 3_600_000.0;
    }

    public double computeUsd() {
        return cpuUsd + memoryUsd + gpuUsd;
    }
}

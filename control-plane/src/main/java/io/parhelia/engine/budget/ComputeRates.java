package io.parhelia.engine.budget;

import io.parhelia.engine.config.ParheliaConfig;
import io.parhelia.engine.runtime.Resources;
import java.time.Duration;
import java.util.Map;

/** What compute costs: dollars per hour for a task's cores, memory and GPU. */
public record ComputeRates(double cpuCoreHour, double memoryGbHour, Map<String, Double> gpuHour) {

    public ComputeRates {
        gpuHour = Map.copyOf(gpuHour);
    }

    public static ComputeRates from(ParheliaConfig config) {
        ParheliaConfig.Budget.Rates rates = config.budget().rates();
        return new ComputeRates(rates.cpuCoreHour(), rates.memoryGbHour(), rates.gpuHour());
    }

    public double perHour(Resources resources) {
        return resources.cpu() * cpuCoreHour + resources.memoryGb() * memoryGbHour + gpuPerHour(resources.gpu());
    }

    /** What an hour of this GPU costs; nothing without a GPU, or for one the rates do not price. */
    public double gpuPerHour(String gpu) {
        return gpu == null ? 0 : gpuHour.getOrDefault(gpu, 0.0);
    }

    /** The cost of holding these resources for this long. */
    public double cost(Resources resources, Duration wallTime) {
        return perHour(resources) * wallTime.toMillis() / 3_600_000.0;
    }
}

package io.parhelia.engine.budget;

import java.util.List;

/**
 * The budget as of one moment: the limits, what all tasks spent, and the costliest tasks the
 * viewer may see. {@code exceeded} when the total is over the ceiling; remaining never goes below 0.
 */
public record BudgetStatus(BudgetSettings settings, double computeUsd, double apiUsd, List<TaskSpend> topTasks) {

    public BudgetStatus {
        topTasks = List.copyOf(topTasks);
    }

    public double usedUsd() {
        return computeUsd + apiUsd;
    }

    public double remainingUsd() {
        return Math.max(0, settings.ceilingUsd() - usedUsd());
    }

    /** Used over ceiling; infinite when the ceiling is 0 and something was spent. */
    public double usageFraction() {
        if (settings.ceilingUsd() == 0) {
            return usedUsd() == 0 ? 0 : Double.POSITIVE_INFINITY;
        }
        return usedUsd() / settings.ceilingUsd();
    }

    public boolean warningCrossed() {
        return usedUsd() >= settings.warningAtUsd() && usedUsd() > 0;
    }

    public boolean exceeded() {
        return usedUsd() > settings.ceilingUsd();
    }
}

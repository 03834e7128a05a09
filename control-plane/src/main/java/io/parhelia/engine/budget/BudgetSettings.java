package io.parhelia.engine.budget;

import io.parhelia.engine.config.ParheliaConfig;

/** The budget's limits in dollars; warningThreshold is the fraction of the ceiling that warns. */
public record BudgetSettings(double ceilingUsd, double warningThreshold, double perTaskCapUsd) {

    static BudgetSettings from(ParheliaConfig.Budget config) {
        return new BudgetSettings(config.ceilingUsd(), config.warningThreshold(), config.perTaskCapUsd());
    }

    public double warningAtUsd() {
        return ceilingUsd * warningThreshold;
    }
}

package io.parhelia.engine.budget;

import io.parhelia.engine.task.Admission;
import io.parhelia.engine.task.EngineException;
import io.parhelia.engine.task.Task;
import io.parhelia.engine.task.Viewer;
import java.time.Duration;

/**
 * Refuses a task whose worst case, compute at its timeout, exceeds the per-task cap or what remains
 * of the ceiling. API cost is unknown until the agent reports it, so it is enforced while the task runs.
 */
public final class BudgetAdmission implements Admission {

    private static final Viewer NOBODY = new Viewer("", false);

    private final BudgetLedger ledger;

    public BudgetAdmission(BudgetLedger ledger) {
        this.ledger = ledger;
    }

    @Override
    public void admit(Task planned) {
        CostEstimate estimate = ledger.estimate(planned.resources(), Duration.ofSeconds(planned.timeoutSeconds()));
        BudgetStatus status = ledger.status(NOBODY, 0);
        BudgetSettings settings = status.settings();
        String worstCase = "the task's worst-case compute cost is " + Money.format(estimate.computeUsd()) + " ("
                + planned.resources().cpu() + " cpu, " + planned.resources().memoryGb() + " GB memory"
                + (planned.resources().gpu() == null ? "" : ", GPU " + planned.resources().gpu()) + " for timeout_seconds="
                + planned.timeoutSeconds() + ")";
        String lower = "lower timeout_seconds (or cpu, memory_gb, gpu)";
        if (estimate.computeUsd() > settings.perTaskCapUsd()) {
            throw new EngineException(EngineException.Reason.BUDGET_EXCEEDED, "timeout_seconds", worstCase
                    + ", over the per-task cap of " + Money.format(settings.perTaskCapUsd()) + "; " + lower
                    + ", or ask an admin to raise per_task_cap_usd with parhelia_budget_set");
        }
        if (estimate.computeUsd() > status.remainingUsd()) {
            throw new EngineException(EngineException.Reason.BUDGET_EXCEEDED, "timeout_seconds", worstCase
                    + ", more than the " + Money.format(status.remainingUsd()) + " that remains of the "
                    + Money.format(settings.ceilingUsd()) + " ceiling (" + Money.format(status.usedUsd()) + " spent); "
                    + lower + ", or ask an admin to raise ceiling_usd with parhelia_budget_set");
        }
    }
}

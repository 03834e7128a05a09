-- Issue 4: the budget. Spend is not stored: it is computed from containers (wall time x resources
-- x rates) and tasks (the API cost the agent reported), so it can never drift from them.

-- What parhelia_budget_set stored; a row wins over the config default of its key.
-- key: ceiling_usd, warning_threshold or per_task_cap_usd.
CREATE TABLE budget_settings (
    key        TEXT PRIMARY KEY,
    value      REAL    NOT NULL,
    set_by     TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);

-- The warnings written, one per (ceiling, threshold): a crossing warns once, a new setting may warn again.
CREATE TABLE budget_warnings (
    ceiling_usd       REAL    NOT NULL,
    warning_threshold REAL    NOT NULL,
    warned_at         INTEGER NOT NULL,
    PRIMARY KEY (ceiling_usd, warning_threshold)
);

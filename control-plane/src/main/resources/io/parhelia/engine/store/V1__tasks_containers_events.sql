-- Times are epoch milliseconds, UTC.
CREATE TABLE tasks (
    id                TEXT PRIMARY KEY,
    owner             TEXT    NOT NULL,
    prompt            TEXT    NOT NULL,
    repo              TEXT,
    branch            TEXT,
    working_directory TEXT,
    workspace         TEXT    NOT NULL,
    runtime           TEXT    NOT NULL,
    cpu               REAL    NOT NULL,
    memory_gb         REAL    NOT NULL,
    gpu               TEXT,
    max_turns         INTEGER NOT NULL,
    timeout_seconds   INTEGER NOT NULL,
    attempt           INTEGER NOT NULL,
    parent_task_id    TEXT REFERENCES tasks (id),
    root_task_id      TEXT    NOT NULL,
    resume_session_id TEXT,
    status            TEXT    NOT NULL,
    status_reason     TEXT,
    created_at        INTEGER NOT NULL,
    started_at        INTEGER,
    ended_at          INTEGER,
    updated_at        INTEGER NOT NULL,
    exit_code         INTEGER,
    agent_session_id  TEXT,
    result_text       TEXT,
    result_subtype    TEXT,
    is_error          INTEGER,
    cost_usd          REAL,
    input_tokens      INTEGER,
    output_tokens     INTEGER,
    num_turns         INTEGER,
    duration_ms       INTEGER
);
CREATE INDEX tasks_newest_first ON tasks (created_at DESC, id DESC);
CREATE INDEX tasks_by_status ON tasks (status);
CREATE INDEX tasks_by_root ON tasks (root_task_id);

-- Where a task's agent runs: one row per dispatch.
CREATE TABLE containers (
    id                 TEXT PRIMARY KEY,
    task_id            TEXT    NOT NULL REFERENCES tasks (id),
    runtime            TEXT    NOT NULL,
    runtime_id         TEXT    NOT NULL,
    attributes         TEXT    NOT NULL,
    state              TEXT    NOT NULL,
    created_at         INTEGER NOT NULL,
    ended_at           INTEGER,
    exit_code          INTEGER,
    missing_since      INTEGER,
    termination_reason TEXT,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX containers_by_task ON containers (task_id);
CREATE INDEX containers_by_state ON containers (state);

CREATE TABLE events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           INTEGER NOT NULL,
    type         TEXT    NOT NULL,
    level        TEXT    NOT NULL,
    owner        TEXT,
    task_id      TEXT,
    container_id TEXT,
    message      TEXT    NOT NULL,
    data         TEXT
);
CREATE INDEX events_by_task ON events (task_id, id);
CREATE INDEX events_by_container ON events (container_id, id);

-- Work that one process at a time may do (the reconciler), held until expires_at.
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT    NOT NULL,
    acquired_at INTEGER NOT NULL,
    renewed_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);

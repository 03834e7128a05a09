-- Issue 3: what containers and sessions record, stored event subscriptions, reconciler state.

ALTER TABLE tasks ADD COLUMN interactive INTEGER NOT NULL DEFAULT 0;
CREATE INDEX tasks_by_update ON tasks (updated_at);

ALTER TABLE containers ADD COLUMN owner TEXT;
ALTER TABLE containers ADD COLUMN labels TEXT NOT NULL DEFAULT '{}';
ALTER TABLE containers ADD COLUMN cpu REAL;
ALTER TABLE containers ADD COLUMN memory_gb REAL;
ALTER TABLE containers ADD COLUMN gpu TEXT;
-- healthy, degraded, unhealthy, dead; moved by consecutive liveness misses
ALTER TABLE containers ADD COLUMN health TEXT NOT NULL DEFAULT 'healthy';
ALTER TABLE containers ADD COLUMN consecutive_misses INTEGER NOT NULL DEFAULT 0;
ALTER TABLE containers ADD COLUMN last_seen_at INTEGER;
-- Set while a process stops the agent, so that the reconciler does not record the stop as a failure.
ALTER TABLE containers ADD COLUMN stopping_since INTEGER;
CREATE INDEX containers_newest_first ON containers (created_at DESC, id DESC);
CREATE INDEX containers_by_health ON containers (health);

-- A running (or finished) agent inside a container.
CREATE TABLE sessions (
    id               TEXT PRIMARY KEY,
    task_id          TEXT    NOT NULL REFERENCES tasks (id),
    container_id     TEXT    NOT NULL REFERENCES containers (id),
    owner            TEXT    NOT NULL,
    state            TEXT    NOT NULL,
    interactive      INTEGER NOT NULL DEFAULT 0,
    started_at       INTEGER NOT NULL,
    ended_at         INTEGER,
    end_reason       TEXT,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX sessions_newest_first ON sessions (started_at DESC, id DESC);
CREATE INDEX sessions_by_task ON sessions (task_id);
CREATE INDEX sessions_by_container ON sessions (container_id);

ALTER TABLE events ADD COLUMN session_id TEXT;
CREATE INDEX events_by_type ON events (type, id);
CREATE INDEX events_by_session ON events (session_id, id);

-- An event feed a caller reads in turns: its filter (JSON), how far it has read, when it lapses.
CREATE TABLE event_subscriptions (
    id           TEXT PRIMARY KEY,
    owner        TEXT    NOT NULL,
    filter       TEXT    NOT NULL,
    cursor       INTEGER NOT NULL,
    ttl_seconds  INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX event_subscriptions_by_expiry ON event_subscriptions (expires_at);

-- The last reconciler cycles, whichever process ran them, so any process can report on them.
CREATE TABLE reconciler_runs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    holder     TEXT    NOT NULL,
    started_at INTEGER NOT NULL,
    took_ms    INTEGER NOT NULL,
    checked    INTEGER NOT NULL,
    findings   TEXT    NOT NULL,
    error      TEXT
);

-- Parhelia-labelled agents the store does not know, seen by the reconciler; kept to time the grace period.
CREATE TABLE orphans (
    runtime        TEXT    NOT NULL,
    runtime_id     TEXT    NOT NULL,
    first_seen_at  INTEGER NOT NULL,
    last_seen_at   INTEGER NOT NULL,
    reported_at    INTEGER,
    terminated_at  INTEGER,
    PRIMARY KEY (runtime, runtime_id)
);

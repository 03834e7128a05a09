-- Checkpoints (issue 4): one row per checkpoint; its files are a manifest blob in the content-addressed store.
CREATE TABLE checkpoints (
    id               TEXT PRIMARY KEY,
    task_id          TEXT    NOT NULL REFERENCES tasks(id),
    owner            TEXT    NOT NULL,
    trigger          TEXT    NOT NULL,
    label            TEXT,
    created_at       INTEGER NOT NULL,
    size_bytes       INTEGER NOT NULL,
    file_count       INTEGER NOT NULL,
    manifest_sha256  TEXT    NOT NULL,
    agent_session_id TEXT,
    git_branch       TEXT,
    git_head         TEXT,
    git_dirty        INTEGER
);
CREATE INDEX checkpoints_by_task ON checkpoints (task_id, created_at DESC, id DESC);
CREATE INDEX checkpoints_by_time ON checkpoints (created_at DESC, id DESC);

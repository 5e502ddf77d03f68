-- Generalization-bound panels: one per experiment (a new request replaces the old panel).
CREATE TABLE bound_jobs (
    experiment_id INTEGER PRIMARY KEY REFERENCES experiments (id),
    status TEXT NOT NULL,
    request TEXT NOT NULL,
    progress REAL NOT NULL DEFAULT 0,
    stage TEXT NOT NULL DEFAULT '',
    error TEXT,
    panel TEXT,
    requested_at INTEGER NOT NULL,
    finished_at INTEGER
);

-- Training runs: configuration, job status and results. JSON columns hold memlab-shared types.
CREATE TABLE experiments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    config TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    curves TEXT NOT NULL DEFAULT '[]',
    metrics TEXT,
    error TEXT,
    model TEXT,
    input TEXT,
    class_names TEXT NOT NULL DEFAULT '[]',
    is_demo INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX experiments_status ON experiments (status, id);

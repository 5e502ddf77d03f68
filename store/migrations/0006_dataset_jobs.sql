-- Analyses of a data set (patch geometry): one job per data set, kind and request (its JSON),
-- so asking again for the same measurement answers the stored one.
CREATE TABLE dataset_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dataset TEXT NOT NULL,
    kind TEXT NOT NULL,
    request TEXT NOT NULL,
    status TEXT NOT NULL,
    progress REAL NOT NULL DEFAULT 0,
    stage TEXT NOT NULL DEFAULT '',
    error TEXT,
    result TEXT,
    requested_at INTEGER NOT NULL,
    finished_at INTEGER,
    UNIQUE (dataset, kind, request)
);
CREATE INDEX dataset_jobs_queue ON dataset_jobs (status, requested_at, id);

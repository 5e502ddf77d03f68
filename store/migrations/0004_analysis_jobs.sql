-- Analyses of finished experiments (bound panels, invariance probes, learned symmetries): one
-- job per experiment and kind; a new request replaces a finished one. Bound panels move here.
CREATE TABLE analysis_jobs (
    experiment_id INTEGER NOT NULL REFERENCES experiments (id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    request TEXT NOT NULL,
    progress REAL NOT NULL DEFAULT 0,
    stage TEXT NOT NULL DEFAULT '',
    error TEXT,
    result TEXT,
    requested_at INTEGER NOT NULL,
    finished_at INTEGER,
    PRIMARY KEY (experiment_id, kind)
);

INSERT INTO analysis_jobs (experiment_id, kind, status, request, progress, stage, error, result,
                           requested_at, finished_at)
SELECT experiment_id, 'bounds', status, request, progress, stage, error, panel, requested_at,
       finished_at
FROM bound_jobs;

DROP TABLE bound_jobs;

-- Studies: a grid of experiments differing in one variable (label corruption, sample size).
CREATE TABLE studies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    request TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
ALTER TABLE experiments ADD COLUMN study_id INTEGER REFERENCES studies (id);
CREATE INDEX experiments_study ON experiments (study_id, id);

-- Checkpoints: a run that went on from a checkpoint records the epochs it had finished before.
ALTER TABLE experiments ADD COLUMN resumed_from_epoch INTEGER;

//! Training checkpoints on disk: after every epoch, `<data_dir>/experiments/<id>/checkpoint/`
//! holds the weights, the initial weights, the optimizer's state and the run's progress, so a
//! run stopped by a crash or a kill goes on from its last finished epoch.
//!
//! A checkpoint is written whole into `checkpoint.new/` (each file synced), then swapped in by
//! renames: `checkpoint/` → `checkpoint.old/`, `checkpoint.new/` → `checkpoint/`. Whatever
//! moment the process dies at, one complete checkpoint (the new or the previous one) is found.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::artifacts::{ArtifactError, experiment_dir};
use memlab_science::training::{Checkpoint, CheckpointProgress};

const MODEL: &str = "model.bpk";
const INITIAL: &str = "init.bpk";
const OPTIMIZER: &str = "optimizer.bpk";
const PROGRESS: &str = "progress.json";

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ArtifactError + '_ {
    move |source| ArtifactError::Io {
        path: path.to_owned(),
        source,
    }
}

fn folder(data_dir: &Path, id: i64, suffix: &str) -> PathBuf {
    experiment_dir(data_dir, id).join(format!("checkpoint{suffix}"))
}

/// Writes `bytes` to `path` and waits until they are on disk.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), ArtifactError> {
    let mut file = File::create(path).map_err(io(path))?;
    file.write_all(bytes).map_err(io(path))?;
    file.sync_all().map_err(io(path))
}

fn remove_folder(path: &Path) -> Result<(), ArtifactError> {
    match std::fs::remove_dir_all(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(io(path)(error)),
        _ => Ok(()),
    }
}

/// Replaces experiment `id`'s checkpoint with `checkpoint`.
pub fn save(data_dir: &Path, id: i64, checkpoint: &Checkpoint) -> Result<(), ArtifactError> {
    let (new, current, old) = (
        folder(data_dir, id, ".new"),
        folder(data_dir, id, ""),
        folder(data_dir, id, ".old"),
    );
    remove_folder(&new)?;
    std::fs::create_dir_all(&new).map_err(io(&new))?;
    write_synced(&new.join(MODEL), &checkpoint.model)?;
    write_synced(&new.join(INITIAL), &checkpoint.initial)?;
    write_synced(&new.join(OPTIMIZER), &checkpoint.optimizer)?;
    let progress = serde_json::to_vec_pretty(&checkpoint.progress)
        .map_err(|error| ArtifactError::Format(error.to_string()))?;
    write_synced(&new.join(PROGRESS), &progress)?;
    remove_folder(&old)?;
    if current.is_dir() {
        std::fs::rename(&current, &old).map_err(io(&current))?;
    }
    std::fs::rename(&new, &current).map_err(io(&new))?;
    if let Ok(parent) = File::open(experiment_dir(data_dir, id)) {
        // Make the renames durable too (best effort: not every platform syncs folders).
        let _ = parent.sync_all();
    }
    remove_folder(&old)
}

fn read(dir: &Path) -> Result<Checkpoint, ArtifactError> {
    let file = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).map_err(io(&path))
    };
    let progress: CheckpointProgress = serde_json::from_slice(&file(PROGRESS)?)
        .map_err(|error| ArtifactError::Format(error.to_string()))?;
    Ok(Checkpoint {
        model: file(MODEL)?,
        initial: file(INITIAL)?,
        optimizer: file(OPTIMIZER)?,
        progress,
    })
}

/// Experiment `id`'s last complete checkpoint, if it has one.
pub fn load(data_dir: &Path, id: i64) -> Option<Checkpoint> {
    [folder(data_dir, id, ""), folder(data_dir, id, ".old")]
        .iter()
        .filter(|dir| dir.is_dir())
        .find_map(|dir| match read(dir) {
            Ok(checkpoint) => Some(checkpoint),
            Err(error) => {
                tracing::warn!(id, %error, "unreadable checkpoint skipped");
                None
            }
        })
}

/// Deletes experiment `id`'s checkpoints (the run finished, or starts over).
pub fn remove(data_dir: &Path, id: i64) -> Result<(), ArtifactError> {
    for suffix in ["", ".old", ".new"] {
        remove_folder(&folder(data_dir, id, suffix))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkpoint(epochs_done: usize) -> Checkpoint {
        Checkpoint {
            model: vec![1, 2, epochs_done as u8],
            initial: vec![4],
            optimizer: vec![5, 6],
            progress: CheckpointProgress {
                epochs_done,
                augmenter: Some(42),
                curves: Vec::new(),
                seconds: 1.5,
                step: 4,
                partial: (2.5, 7, 9),
            },
        }
    }

    #[test]
    fn the_last_complete_checkpoint_is_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(load(dir.path(), 3).is_none());
        save(dir.path(), 3, &checkpoint(1)).expect("save");
        save(dir.path(), 3, &checkpoint(2)).expect("save");
        let back = load(dir.path(), 3).expect("checkpoint");
        assert_eq!(back.progress, checkpoint(2).progress);
        assert_eq!(back.model, vec![1, 2, 2]);
        assert_eq!((back.initial, back.optimizer), (vec![4], vec![5, 6]));

        // Died between the two renames: only the previous checkpoint is in place.
        let (current, old) = (folder(dir.path(), 3, ""), folder(dir.path(), 3, ".old"));
        std::fs::rename(&current, &old).expect("rename");
        assert_eq!(load(dir.path(), 3).expect("old").progress.epochs_done, 2);
        // A half-written new folder is never read.
        std::fs::create_dir_all(folder(dir.path(), 3, ".new")).expect("mkdir");
        assert_eq!(load(dir.path(), 3).expect("old").progress.epochs_done, 2);
        // A checkpoint missing a file is skipped, not half-used.
        save(dir.path(), 3, &checkpoint(3)).expect("save");
        std::fs::remove_file(current.join(OPTIMIZER)).expect("remove");
        assert!(load(dir.path(), 3).is_none());

        remove(dir.path(), 3).expect("remove");
        assert!(load(dir.path(), 3).is_none());
        assert!(!current.exists() && !old.exists());
    }
}

//! Training checkpoints: after every epoch, experiment `id`'s weights, initial weights,
//! optimizer state and progress are written as one blob, `experiments/<id>/checkpoint.bin`, so
//! a run stopped by a crash or a kill goes on from its last finished epoch.
//!
//! The blob is put whole ([`Files::put`]): whatever moment the process dies at, the previous
//! checkpoint or the new one is found, never half of one. Layout: the line
//! `memlab-checkpoint 1\n`, then four sections (progress as JSON, weights, initial weights,
//! optimizer state), each a little-endian u64 length and its bytes.

use memlab_science::training::{Checkpoint, CheckpointProgress};

use crate::artifacts::{ArtifactError, experiment_key};
use crate::files::Files;

const MAGIC: &[u8] = b"memlab-checkpoint 1\n";

fn key(id: i64) -> String {
    format!("{}/checkpoint.bin", experiment_key(id))
}

fn encode(checkpoint: &Checkpoint) -> Result<Vec<u8>, ArtifactError> {
    let progress = serde_json::to_vec(&checkpoint.progress)
        .map_err(|error| ArtifactError::Format(error.to_string()))?;
    let sections: [&[u8]; 4] = [
        &progress,
        &checkpoint.model,
        &checkpoint.initial,
        &checkpoint.optimizer,
    ];
    let mut bytes = MAGIC.to_vec();
    for section in sections {
        bytes.extend_from_slice(&(section.len() as u64).to_le_bytes());
        bytes.extend_from_slice(section);
    }
    Ok(bytes)
}

fn decode(bytes: &[u8]) -> Result<Checkpoint, String> {
    let mut rest = bytes.strip_prefix(MAGIC).ok_or("not a memlab checkpoint")?;
    let mut section = || -> Result<Vec<u8>, String> {
        let (length, tail) = rest.split_first_chunk::<8>().ok_or("truncated")?;
        let length = usize::try_from(u64::from_le_bytes(*length)).map_err(|e| e.to_string())?;
        if tail.len() < length {
            return Err("truncated".into());
        }
        let (body, tail) = tail.split_at(length);
        rest = tail;
        Ok(body.to_vec())
    };
    let progress: CheckpointProgress =
        serde_json::from_slice(&section()?).map_err(|error| error.to_string())?;
    let (model, initial, optimizer) = (section()?, section()?, section()?);
    if !rest.is_empty() {
        return Err("trailing bytes".into());
    }
    Ok(Checkpoint {
        model,
        initial,
        optimizer,
        progress,
    })
}

/// Replaces experiment `id`'s checkpoint with `checkpoint`.
pub fn save(files: &dyn Files, id: i64, checkpoint: &Checkpoint) -> Result<(), ArtifactError> {
    Ok(files.put(&key(id), &encode(checkpoint)?)?)
}

/// Experiment `id`'s last checkpoint, if it has a readable one.
pub fn load(files: &dyn Files, id: i64) -> Option<Checkpoint> {
    let bytes = match files.get(&key(id)) {
        Ok(bytes) => bytes?,
        Err(error) => {
            tracing::warn!(id, %error, "checkpoint not readable");
            return None;
        }
    };
    match decode(&bytes) {
        Ok(checkpoint) => Some(checkpoint),
        Err(error) => {
            tracing::warn!(id, %error, "damaged checkpoint skipped");
            None
        }
    }
}

/// Deletes experiment `id`'s checkpoint (the run finished, or starts over).
pub fn remove(files: &dyn Files, id: i64) -> Result<(), ArtifactError> {
    Ok(files.remove_all(&key(id))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::LocalDir;

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
    fn the_last_checkpoint_is_read_back_whole_or_not_at_all() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = LocalDir::new(dir.path());
        assert!(load(&files, 3).is_none());
        save(&files, 3, &checkpoint(1)).expect("save");
        save(&files, 3, &checkpoint(2)).expect("save");
        let back = load(&files, 3).expect("checkpoint");
        assert_eq!(back.progress, checkpoint(2).progress);
        assert_eq!(back.model, vec![1, 2, 2]);
        assert_eq!((back.initial, back.optimizer), (vec![4], vec![5, 6]));

        // A damaged blob (cut short, or not a checkpoint) is skipped, never half-used.
        let whole = files.get(&key(3)).expect("get").expect("stored");
        files.put(&key(3), &whole[..whole.len() - 1]).expect("put");
        assert!(load(&files, 3).is_none());
        files.put(&key(3), b"something else").expect("put");
        assert!(load(&files, 3).is_none());
        let mut longer = whole.clone();
        longer.push(0);
        files.put(&key(3), &longer).expect("put");
        assert!(load(&files, 3).is_none());

        save(&files, 3, &checkpoint(3)).expect("save");
        assert_eq!(load(&files, 3).expect("back").progress.epochs_done, 3);
        remove(&files, 3).expect("remove");
        assert!(load(&files, 3).is_none());
    }
}

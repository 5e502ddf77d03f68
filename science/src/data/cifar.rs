//! Reader for CIFAR-10's binary version, which users supply themselves (no registry ships it).
//!
//! Layout: `<root>/data_batch_{1..5}.bin` and `<root>/test_batch.bin`; each record is one label
//! byte and 3 072 pixel bytes (the 32×32 red plane, then green, then blue: channels first, as
//! memlab stores images). Class names come from `batches.meta.txt` when present.

use std::path::Path;

use super::{DataError, Dataset, Split};

/// Bytes of one image.
const IMAGE_LEN: usize = 3 * 32 * 32;
/// The classes in label order, as CIFAR-10 documents them.
const CLASS_NAMES: [&str; 10] = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
];

/// Whether `root` holds CIFAR-10 binary batches.
pub fn is_cifar10(root: &Path) -> bool {
    root.join("data_batch_1.bin").is_file() && root.join("test_batch.bin").is_file()
}

/// Parses the records of one or more batch files.
fn read_batches(paths: &[std::path::PathBuf]) -> Result<Split, DataError> {
    let mut split = Split {
        images: Vec::new(),
        labels: Vec::new(),
        image_len: IMAGE_LEN,
    };
    for path in paths {
        let bytes = std::fs::read(path).map_err(|error| DataError::io(path, error))?;
        if bytes.is_empty() || bytes.len() % (IMAGE_LEN + 1) != 0 {
            let reason = format!(
                "{} bytes is not a whole number of {}-byte records",
                bytes.len(),
                IMAGE_LEN + 1
            );
            return Err(DataError::Format {
                path: path.clone(),
                reason,
            });
        }
        for record in bytes.chunks_exact(IMAGE_LEN + 1) {
            if record[0] > 9 {
                let reason = format!("label {} is not in 0..=9", record[0]);
                return Err(DataError::Format {
                    path: path.clone(),
                    reason,
                });
            }
            split.labels.push(record[0]);
            split.images.extend_from_slice(&record[1..]);
        }
    }
    Ok(split)
}

/// Loads CIFAR-10 from `root` (the training batches that exist, and the test batch).
pub fn read_cifar10(name: &str, root: &Path) -> Result<Dataset, DataError> {
    let train_files: Vec<_> = (1..=5)
        .map(|index| root.join(format!("data_batch_{index}.bin")))
        .filter(|path| path.is_file())
        .collect();
    let train = read_batches(&train_files)?;
    let test = read_batches(&[root.join("test_batch.bin")])?;
    let meta = std::fs::read_to_string(root.join("batches.meta.txt")).unwrap_or_default();
    let from_meta: Vec<String> = meta
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect();
    let class_names = if from_meta.len() == 10 {
        from_meta
    } else {
        CLASS_NAMES.iter().map(|name| (*name).to_owned()).collect()
    };
    let description = format!(
        "CIFAR-10 (binary batches, user supplied) in {}",
        root.display()
    );
    Ok(Dataset::new(
        name,
        description,
        [3, 32, 32],
        class_names,
        train,
        test,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(label: u8, red: u8) -> Vec<u8> {
        let mut bytes = vec![label];
        bytes.extend(std::iter::repeat_n(red, 1024));
        bytes.extend(std::iter::repeat_n(0, 2048));
        bytes
    }

    #[test]
    fn reads_batches_channels_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("data_batch_1.bin"),
            [record(3, 200), record(9, 10)].concat(),
        )
        .expect("write");
        std::fs::write(dir.path().join("data_batch_2.bin"), record(0, 0)).expect("write");
        std::fs::write(dir.path().join("test_batch.bin"), record(1, 255)).expect("write");
        assert!(is_cifar10(dir.path()));
        let data = read_cifar10("cifar-10", dir.path()).expect("read");
        assert_eq!(data.train.labels, vec![3, 9, 0]);
        assert_eq!((data.info.input.channels, data.info.input.height), (3, 32));
        let image = data.test.image(0);
        assert_eq!(
            (image[0], image[1023], image[1024]),
            (255, 255, 0),
            "red plane first"
        );
        assert_eq!(data.info.class_names[3], "cat");
    }

    #[test]
    fn truncated_or_mislabelled_batches_are_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("data_batch_1.bin"), &record(3, 1)[..100]).expect("write");
        std::fs::write(dir.path().join("test_batch.bin"), record(12, 1)).expect("write");
        assert!(matches!(
            read_cifar10("c", dir.path()),
            Err(DataError::Format { .. })
        ));
        std::fs::write(dir.path().join("data_batch_1.bin"), record(3, 1)).expect("write");
        let error = read_cifar10("c", dir.path())
            .expect_err("label 12")
            .to_string();
        assert!(error.contains("label 12"), "{error}");
    }
}

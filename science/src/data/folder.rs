//! Reader for a user's image folder: one sub-folder per class, PNG or JPEG files of any size.
//!
//! Layout: `<root>/train/<class>/*.png|jpg|jpeg` and optionally `<root>/test/<class>/...`.
//! Without `test/`, every fifth image of each class (in file-name order) is held out for testing.
//! Images are brought to the size of the first training image (each side at most
//! [`MAX_FOLDER_SIDE`]) and to grayscale when every image is grayscale, RGB otherwise.

use std::path::{Path, PathBuf};

use image::GenericImageView;
use memlab_shared::preprocess::{InputSpec, decode_image};

use super::{DataError, Dataset, Split};

pub use memlab_shared::limits::{MAX_FOLDER_CLASSES, MAX_FOLDER_SIDE};

/// Loads a folder data set.
pub fn read_image_folder(name: &str, root: &Path) -> Result<Dataset, DataError> {
    let train_dir = root.join("train");
    let classes = class_dirs(&train_dir)?;
    if classes.is_empty() {
        return Err(format_error(&train_dir, "no class sub-folders"));
    }
    if classes.len() > MAX_FOLDER_CLASSES {
        let reason = format!("{} classes (at most {MAX_FOLDER_CLASSES})", classes.len());
        return Err(format_error(&train_dir, &reason));
    }
    let class_names: Vec<String> = classes.iter().map(|(name, _)| name.clone()).collect();
    let mut train_files = Vec::new();
    let mut test_files = Vec::new();
    let test_dir = root.join("test");
    for (label, (class, dir)) in classes.iter().enumerate() {
        let files = image_files(dir)?;
        if test_dir.is_dir() {
            train_files.extend(files.into_iter().map(|file| (file, label)));
            let held_out = test_dir.join(class);
            if held_out.is_dir() {
                test_files.extend(
                    image_files(&held_out)?
                        .into_iter()
                        .map(|file| (file, label)),
                );
            }
        } else {
            for (position, file) in files.into_iter().enumerate() {
                let target = if position % 5 == 4 {
                    &mut test_files
                } else {
                    &mut train_files
                };
                target.push((file, label));
            }
        }
    }
    let Some((first, _)) = train_files.first() else {
        return Err(format_error(&train_dir, "no PNG or JPEG images"));
    };
    let (width, height) = image_size(first)?;
    let all_gray = train_files
        .iter()
        .chain(&test_files)
        .try_fold(true, |gray, (file, _)| {
            Ok::<_, DataError>(gray && is_grayscale(file)?)
        })?;
    let spec = InputSpec {
        channels: if all_gray { 1 } else { 3 },
        height: (height as usize).clamp(1, MAX_FOLDER_SIDE),
        width: (width as usize).clamp(1, MAX_FOLDER_SIDE),
        mean: vec![0.0; 3],
        std: vec![1.0; 3],
    };
    let train = read_split(&train_files, &spec)?;
    let test = read_split(&test_files, &spec)?;
    let description = format!("image folder {}", root.display());
    Ok(Dataset::new(
        name,
        description,
        [spec.channels, spec.height, spec.width],
        class_names,
        train,
        test,
    ))
}

fn format_error(path: &Path, reason: &str) -> DataError {
    DataError::Format {
        path: path.to_owned(),
        reason: reason.to_owned(),
    }
}

/// Sub-folders of `dir`, sorted by name (the class order).
fn class_dirs(dir: &Path) -> Result<Vec<(String, PathBuf)>, DataError> {
    let mut classes = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|error| DataError::io(dir, error))? {
        let path = entry.map_err(|error| DataError::io(dir, error))?.path();
        if path.is_dir() {
            let name = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned());
            classes.push((name.unwrap_or_default(), path));
        }
    }
    classes.sort();
    Ok(classes)
}

/// PNG and JPEG files in `dir`, sorted by name.
fn image_files(dir: &Path) -> Result<Vec<PathBuf>, DataError> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|error| DataError::io(dir, error))? {
        let path = entry.map_err(|error| DataError::io(dir, error))?.path();
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        if matches!(extension.as_deref(), Some("png" | "jpg" | "jpeg")) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn open(path: &Path) -> Result<image::DynamicImage, DataError> {
    image::open(path).map_err(|error| format_error(path, &error.to_string()))
}

fn image_size(path: &Path) -> Result<(u32, u32), DataError> {
    Ok(open(path)?.dimensions())
}

fn is_grayscale(path: &Path) -> Result<bool, DataError> {
    Ok(!open(path)?.color().has_color())
}

fn read_split(files: &[(PathBuf, usize)], spec: &InputSpec) -> Result<Split, DataError> {
    let mut images = Vec::with_capacity(files.len() * spec.len());
    let mut labels = Vec::with_capacity(files.len());
    for (path, label) in files {
        let bytes = std::fs::read(path).map_err(|error| DataError::io(path, error))?;
        let pixels =
            decode_image(&bytes, spec).map_err(|error| format_error(path, &error.to_string()))?;
        images.extend(pixels.to_u8());
        labels.push(*label as u8);
    }
    Ok(Split {
        images,
        labels,
        image_len: spec.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use memlab_shared::preprocess::Pixels;

    fn write_png(path: &Path, channels: usize, side: usize, value: u8) {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        let pixels = Pixels::from_u8(channels, side, side, &vec![value; channels * side * side]);
        std::fs::write(path, pixels.to_png().expect("png")).expect("write");
    }

    #[test]
    fn grayscale_folder_without_test_split_holds_out_every_fifth() {
        let dir = tempfile::tempdir().expect("tempdir");
        for index in 0..5 {
            write_png(&dir.path().join(format!("train/cat/{index}.png")), 1, 8, 10);
            write_png(
                &dir.path().join(format!("train/dog/{index}.png")),
                1,
                8,
                200,
            );
        }
        let data = read_image_folder("pets", dir.path()).expect("read");
        assert_eq!(data.info.class_names, vec!["cat", "dog"]);
        assert_eq!((data.info.n_train, data.info.n_test), (8, 2));
        assert_eq!(data.info.input.channels, 1);
        assert_eq!(data.train.labels, vec![0, 0, 0, 0, 1, 1, 1, 1]);
        assert_eq!(data.test.image(1)[0], 200);
    }

    #[test]
    fn color_images_make_an_rgb_set_and_large_ones_are_shrunk() {
        let dir = tempfile::tempdir().expect("tempdir");
        write_png(&dir.path().join("train/a/0.png"), 3, 100, 50);
        write_png(&dir.path().join("test/a/0.png"), 1, 10, 50);
        let data = read_image_folder("mixed", dir.path()).expect("read");
        assert_eq!(data.info.input.channels, 3);
        assert_eq!((data.info.input.height, data.info.input.width), (64, 64));
        assert_eq!((data.info.n_train, data.info.n_test), (1, 1));
    }

    #[test]
    fn empty_or_broken_folders_are_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(read_image_folder("none", dir.path()).is_err());
        std::fs::create_dir_all(dir.path().join("train/a")).expect("mkdir");
        std::fs::write(dir.path().join("train/a/bad.png"), b"not a png").expect("write");
        assert!(matches!(
            read_image_folder("bad", dir.path()),
            Err(DataError::Format { .. })
        ));
    }
}

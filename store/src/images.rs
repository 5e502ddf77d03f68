//! Published images (share links), content-addressed as `<data_dir>/images/<sha256>.png`: the
//! canonical PNG of an upload, written whole by a rename, never changed.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Where the image `id` is stored.
pub fn image_path(data_dir: &Path, id: &str) -> PathBuf {
    data_dir.join("images").join(format!("{id}.png"))
}

/// Lowercase hex of the SHA-256 of `bytes`.
fn content_address(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Writes `png` under its content address unless it is there already; answers the address.
pub fn publish(data_dir: &Path, png: &[u8]) -> std::io::Result<String> {
    let id = content_address(png);
    let path = image_path(data_dir, &id);
    if !path.exists() {
        let folder = data_dir.join("images");
        std::fs::create_dir_all(&folder)?;
        let partial = folder.join(format!("{id}.png.partial-{}", std::process::id()));
        std::fs::write(&partial, png)?;
        std::fs::rename(&partial, &path)?;
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use memlab_shared::api::is_image_id;

    #[test]
    fn content_address_known_answer() {
        // FIPS 180-2, appendix B.1.
        assert_eq!(
            content_address(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(is_image_id(&content_address(b"")));
    }
}

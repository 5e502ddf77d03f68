//! Published images (share links), content-addressed as `images/<sha256>.png` in the file
//! store: the canonical PNG of an upload, put whole, never changed.

use sha2::{Digest, Sha256};

use crate::files::{Files, FilesError};

fn key(id: &str) -> String {
    format!("images/{id}.png")
}

/// Lowercase hex of the SHA-256 of `bytes`.
fn content_address(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Keeps `png` under its content address unless it is there already; answers the address.
pub fn publish(files: &dyn Files, png: &[u8]) -> Result<String, FilesError> {
    let id = content_address(png);
    if files.get(&key(&id))?.is_none() {
        files.put(&key(&id), png)?;
    }
    Ok(id)
}

/// The published image `id` (a content address: 64 hex digits), `None` when there is none.
pub fn get(files: &dyn Files, id: &str) -> Result<Option<Vec<u8>>, FilesError> {
    files.get(&key(id))
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

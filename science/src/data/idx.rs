//! Reader for the IDX format of MNIST and Fashion-MNIST (raw or gzipped).
//!
//! Layout: two zero bytes, a type byte (0x08 = unsigned byte), the number of dimensions, then
//! each dimension as a big-endian u32, then the values row-major.

use std::io::Read;
use std::path::Path;

use super::DataError;

/// An IDX array of unsigned bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    /// Size of each dimension.
    pub dims: Vec<usize>,
    /// Values, row-major.
    pub values: Vec<u8>,
}

/// Reads an IDX file, gunzipping it when its name ends in `.gz`.
pub fn read_idx_file(path: &Path) -> Result<IdxArray, DataError> {
    let bytes = std::fs::read(path).map_err(|error| DataError::io(path, error))?;
    let bytes = if path.extension().is_some_and(|extension| extension == "gz") {
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .read_to_end(&mut raw)
            .map_err(|error| DataError::io(path, error))?;
        raw
    } else {
        bytes
    };
    parse_idx(&bytes).map_err(|reason| DataError::Format {
        path: path.to_owned(),
        reason,
    })
}

/// Parses IDX bytes; only the unsigned-byte type is accepted.
pub fn parse_idx(bytes: &[u8]) -> Result<IdxArray, String> {
    if bytes.len() < 4 || bytes[0] != 0 || bytes[1] != 0 {
        return Err("missing IDX magic number".into());
    }
    if bytes[2] != 0x08 {
        return Err(format!(
            "element type 0x{:02x} is not unsigned byte (0x08)",
            bytes[2]
        ));
    }
    let n_dims = usize::from(bytes[3]);
    let header = 4 + 4 * n_dims;
    if bytes.len() < header {
        return Err(format!(
            "header announces {n_dims} dimensions but the file ends"
        ));
    }
    let dims: Vec<usize> = bytes[4..header]
        .chunks_exact(4)
        .map(|chunk| u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]) as usize)
        .collect();
    let expected = dims
        .iter()
        .try_fold(1usize, |total, &dim| total.checked_mul(dim));
    let body = &bytes[header..];
    match expected {
        Some(count) if count == body.len() => Ok(IdxArray {
            dims,
            values: body.to_vec(),
        }),
        Some(count) => Err(format!(
            "dimensions {dims:?} need {count} values, file has {}",
            body.len()
        )),
        None => Err(format!("dimensions {dims:?} overflow")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(bytes: &[u8], expected: Result<IdxArray, &str>) {
        match (parse_idx(bytes), expected) {
            (Ok(got), Ok(want)) => assert_eq!(got, want),
            (Err(got), Err(want)) => assert!(got.contains(want), "{got}"),
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn parses_and_rejects() {
        let good = [0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6];
        check(
            &good,
            Ok(IdxArray {
                dims: vec![2, 3],
                values: vec![1, 2, 3, 4, 5, 6],
            }),
        );
        check(&good[..17], Err("need 6 values, file has 5"));
        check(&[0, 0, 0x0d, 1, 0, 0, 0, 1, 0], Err("not unsigned byte"));
        check(&[1, 2], Err("magic"));
        check(&[0, 0, 8, 3, 0, 0], Err("file ends"));
    }

    #[test]
    fn reads_gzipped_files() {
        use std::io::Write;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("labels-idx1-ubyte.gz");
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder
            .write_all(&[0, 0, 8, 1, 0, 0, 0, 2, 7, 9])
            .expect("write");
        std::fs::write(&path, encoder.finish().expect("finish")).expect("write file");
        let array = read_idx_file(&path).expect("read");
        assert_eq!(
            array,
            IdxArray {
                dims: vec![2],
                values: vec![7, 9]
            }
        );
    }
}

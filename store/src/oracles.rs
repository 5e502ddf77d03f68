//! The Glasses oracles kept on disk: trained on first use by [`memlab_science::oracles::train`],
//! then read from `<data_dir>/oracles/glasses-v<generator>-<oracle>-seed<s>-k<identities>-<size>px/`.

use std::path::{Path, PathBuf};

use burn::prelude::Device;
use memlab_science::oracles::{self, Oracle, OracleSource, Trained};
use memlab_science::weights::{self, ModelCard};
use memlab_shared::glasses::{self, GlassesConfig};

/// Oracles under one data folder.
pub struct OracleCache<'a> {
    /// The data folder (`oracles/` inside it).
    pub data_dir: &'a Path,
}

fn folder(data_dir: &Path, oracle: Oracle, config: &GlassesConfig) -> PathBuf {
    data_dir.join("oracles").join(format!(
        "glasses-v{}-{}-seed{}-k{}-{}px",
        glasses::GENERATOR_VERSION,
        oracle.name(),
        config.seed,
        config.identities,
        config.size
    ))
}

impl OracleSource for OracleCache<'_> {
    fn oracle(
        &self,
        oracle: Oracle,
        config: &GlassesConfig,
        device: &Device,
    ) -> Result<Trained, String> {
        let dir = folder(self.data_dir, oracle, config);
        let (card_path, record_path, accuracy_path) = (
            dir.join("model.json"),
            dir.join("model.bpk"),
            dir.join("test_accuracy"),
        );
        if let (Ok(card), Ok(record), Ok(accuracy)) = (
            std::fs::read(&card_path),
            std::fs::read(&record_path),
            std::fs::read_to_string(&accuracy_path),
        ) && let (Ok(card), Ok(accuracy)) = (
            serde_json::from_slice::<ModelCard>(&card),
            accuracy.trim().parse::<f64>(),
        ) && let Ok(model) = weights::load_model(&card, &record, device)
        {
            return Ok((card, model, accuracy));
        }
        let (card, model, accuracy) = oracles::train(oracle, config, device)?;
        let write = || -> Result<(), String> {
            std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
            let record = weights::record_bytes(&model).map_err(|e| e.to_string())?;
            std::fs::write(&record_path, record).map_err(|e| e.to_string())?;
            std::fs::write(
                &card_path,
                serde_json::to_vec(&card).map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string())?;
            std::fs::write(&accuracy_path, accuracy.to_string()).map_err(|e| e.to_string())
        };
        if let Err(error) = write() {
            tracing::warn!(%error, "could not keep the oracle on disk");
        }
        Ok((card, model, accuracy))
    }
}

//! The Glasses oracles kept in the file store: trained on first use by
//! [`memlab_science::oracles::train`], then read from
//! `oracles/glasses-v<generator>-<oracle>-seed<s>-k<identities>-<size>px/`.

use burn::prelude::Device;
use memlab_science::oracles::{self, Oracle, OracleSource, Trained};
use memlab_science::weights::{self, ModelCard};
use memlab_shared::glasses::{self, GlassesConfig};

use crate::files::Files;

/// Oracles kept in one file store.
pub struct OracleCache<'a> {
    /// The file store (`oracles/` inside it).
    pub files: &'a dyn Files,
}

fn folder(oracle: Oracle, config: &GlassesConfig) -> String {
    format!(
        "oracles/glasses-v{}-{}-seed{}-k{}-{}px",
        glasses::GENERATOR_VERSION,
        oracle.name(),
        config.seed,
        config.identities,
        config.size
    )
}

impl OracleCache<'_> {
    /// The kept oracle, when all three of its files are there and decode.
    fn kept(&self, folder: &str, device: &Device) -> Option<Trained> {
        let read = |name: &str| self.files.get(&format!("{folder}/{name}")).ok().flatten();
        let card: ModelCard = serde_json::from_slice(&read("model.json")?).ok()?;
        let record = read("model.bpk")?;
        let accuracy = String::from_utf8(read("test_accuracy")?).ok()?;
        let accuracy = accuracy.trim().parse::<f64>().ok()?;
        let model = weights::load_model(&card, &record, device).ok()?;
        Some((card, model, accuracy))
    }

    fn keep(&self, folder: &str, trained: &Trained) -> Result<(), String> {
        let (card, model, accuracy) = trained;
        let put = |name: &str, bytes: &[u8]| {
            self.files
                .put(&format!("{folder}/{name}"), bytes)
                .map_err(|e| e.to_string())
        };
        put(
            "model.bpk",
            &weights::record_bytes(model).map_err(|e| e.to_string())?,
        )?;
        put(
            "model.json",
            &serde_json::to_vec(card).map_err(|e| e.to_string())?,
        )?;
        put("test_accuracy", accuracy.to_string().as_bytes())
    }
}

impl OracleSource for OracleCache<'_> {
    fn oracle(
        &self,
        oracle: Oracle,
        config: &GlassesConfig,
        device: &Device,
    ) -> Result<Trained, String> {
        let folder = folder(oracle, config);
        if let Some(kept) = self.kept(&folder, device) {
            return Ok(kept);
        }
        let trained = oracles::train(oracle, config, device)?;
        if let Err(error) = self.keep(&folder, &trained) {
            tracing::warn!(%error, "could not keep the oracle");
        }
        Ok(trained)
    }
}

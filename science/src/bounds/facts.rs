//! The numbers every bound formula reads, gathered once from a trained network and its data:
//! the formulas are pure functions of these, so tests can feed hand-made facts.

use memlab_shared::bounds::{Bound, Quantity};

/// What one weight layer contributes (norms of the map with its bias folded in, see
/// [`super::network`]).
#[derive(Debug, Clone, PartialEq)]
pub struct LayerFacts {
    /// Trainable parameters of the layer.
    pub parameters: usize,
    /// Input dimension of the map.
    pub inputs: usize,
    /// Output units of the map.
    pub outputs: usize,
    /// Max pooling after the ReLU: `(number of windows, values per window)`.
    pub pooling: Option<(usize, usize)>,
    /// ‖A'‖_σ.
    pub spectral: f64,
    /// ‖A'‖_F.
    pub frobenius: f64,
    /// Largest ℓ₂ norm of a row of A' (an output unit's weights and bias).
    pub max_row_norm: f64,
    /// ‖A'ᵀ‖₂,₁.
    pub two_one: f64,
    /// ‖(A' − M')ᵀ‖₂,₁, M the initialization.
    pub two_one_from_init: f64,
    /// Whether this layer computes the logits.
    pub is_last: bool,
}

/// Everything the formulas need.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    /// Training examples m.
    pub m: usize,
    /// Classes k.
    pub classes: usize,
    /// Training error (0-1).
    pub train_error: f64,
    /// Training margins.
    pub margins: Vec<f64>,
    /// ‖X'‖₂ = √(Σᵢ (‖xᵢ‖² + 1)) over the training inputs with the constant 1 appended.
    pub data_norm: f64,
    /// B' = √(B² + 1), B the largest norm any input can have.
    pub domain_norm: f64,
    /// Σ θ² over all parameters.
    pub parameter_norm_squared: f64,
    /// The layers, input to output.
    pub layers: Vec<LayerFacts>,
    /// Confidence parameter.
    pub delta: f64,
    /// No pooling: every activation is an element-wise ReLU.
    pub elementwise_relu: bool,
    /// Every layer is dense.
    pub fully_connected: bool,
    /// For a linear head on fixed features: its logits and inputs on the sample.
    pub linear_head: Option<super::linear_pac_bayes::LinearHead>,
}

impl Facts {
    /// Number of trainable parameters.
    pub fn parameters(&self) -> usize {
        self.layers.iter().map(|layer| layer.parameters).sum()
    }

    /// Depth L (weight layers).
    pub fn depth(&self) -> usize {
        self.layers.len()
    }
}

/// A [`Quantity`].
pub fn quantity(symbol: &str, name: &str, value: f64) -> Quantity {
    Quantity {
        symbol: symbol.into(),
        name: name.into(),
        value,
    }
}

/// The chart label of the bound `key`.
pub fn short_name(key: &str) -> &'static str {
    match key {
        "vc" => "VC (growth function)",
        "nts" => "NTS 2015 (Frobenius)",
        "grs" => "GRS 2018 (Frobenius)",
        "bft_zero" => "BFT 2017 (ref 0)",
        "bft_init" => "BFT 2017 (ref init)",
        "nbs" => "NBS 2018 PAC-Bayes",
        "dr" => "D&R PAC-Bayes (Q)",
        "dr_data" => "PAC-Bayes, data prior (Q)",
        "linear_pac_bayes" => "Linear PAC-Bayes",
        "linear_pac_bayes_q" => "Linear PAC-Bayes (Q)",
        "linear_pac_bayes_data" => "Linear PB, data prior",
        "linear_pac_bayes_data_q" => "Linear PB, data (Q)",
        _ => "bound",
    }
}

/// A computed bound (vacuous when above 1).
pub fn computed(
    key: &str,
    name: &str,
    value: f64,
    source: &str,
    formula: &str,
    inputs: Vec<Quantity>,
) -> Bound {
    Bound {
        key: key.into(),
        name: name.into(),
        short_name: short_name(key).into(),
        value: Some(value),
        vacuous: value.is_nan() || value > 1.0,
        not_applicable: None,
        why_vacuous: None,
        source: source.into(),
        formula: formula.into(),
        inputs,
    }
}

/// A bound whose theorem does not cover this network (or whose inputs fall off its grids).
pub fn not_applicable(key: &str, name: &str, source: &str, formula: &str, why: String) -> Bound {
    Bound {
        key: key.into(),
        name: name.into(),
        short_name: short_name(key).into(),
        value: None,
        vacuous: true,
        not_applicable: Some(why),
        why_vacuous: None,
        source: source.into(),
        formula: formula.into(),
        inputs: Vec::new(),
    }
}

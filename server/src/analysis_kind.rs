//! What an analysis computes (one stored job per experiment and kind) and the slots that let
//! each kind run one at a time.

use tokio::sync::Semaphore;

/// What an analysis computes; one stored job per experiment and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnalysisKind {
    /// The generalization-bound panel.
    Bounds,
    /// Invariance probes under classical transforms.
    Probes,
    /// A learned symmetry L_θ keeping the model's features.
    SymmetryFromPhi,
    /// A learned symmetry L_θ keeping the true label.
    SymmetryFromLabels,
    /// Lie-generator discovery in the affine algebra.
    Lie,
}

impl AnalysisKind {
    /// The name stored in the `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bounds => "bounds",
            Self::Probes => "probes",
            Self::SymmetryFromPhi => "symmetry_from_phi",
            Self::SymmetryFromLabels => "symmetry_from_labels",
            Self::Lie => "lie",
        }
    }

    /// What people call it, in log lines and messages.
    pub fn label(self) -> &'static str {
        match self {
            Self::Bounds => "bound panel",
            Self::Probes => "invariance probe",
            Self::SymmetryFromPhi | Self::SymmetryFromLabels => "learned symmetry",
            Self::Lie => "Lie-generator discovery",
        }
    }
}

/// One permit per kind: analyses of a kind run one at a time (the CPU is shared with
/// training), different kinds may overlap.
pub struct Slots {
    bounds: Semaphore,
    probes: Semaphore,
    symmetry: Semaphore,
}

impl Default for Slots {
    fn default() -> Self {
        Self {
            bounds: Semaphore::new(1),
            probes: Semaphore::new(1),
            symmetry: Semaphore::new(1),
        }
    }
}

impl Slots {
    /// The slot `kind` waits for.
    pub fn of(&self, kind: AnalysisKind) -> &Semaphore {
        match kind {
            AnalysisKind::Bounds => &self.bounds,
            AnalysisKind::Probes | AnalysisKind::Lie => &self.probes,
            AnalysisKind::SymmetryFromPhi | AnalysisKind::SymmetryFromLabels => &self.symmetry,
        }
    }
}

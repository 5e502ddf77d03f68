//! The slots that let each kind of analysis run one at a time (the CPU is shared with
//! training); different kinds may overlap.

use memlab_store::analyses::AnalysisKind;
use tokio::sync::Semaphore;

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

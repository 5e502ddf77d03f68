//! Types of the Replications page (`/api/replications`): one row per published claim the
//! research proposal rests on, with the paper's number, memlab's number from runs on this server
//! (each row links the runs that produced it), a verdict with its tolerance, and a small plot.

use serde::{Deserialize, Serialize};

/// Whether memlab's runs reproduce a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// memlab's number is within the stated tolerance of the claim.
    Reproduced,
    /// memlab's runs exist and disagree with the claim beyond the tolerance.
    Differs,
    /// No finished run on this server measures it yet.
    NotYetRun,
}

impl Verdict {
    /// For people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Reproduced => "reproduced",
            Self::Differs => "differs",
            Self::NotYetRun => "not yet run",
        }
    }
}

/// A run a row's number comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Evidence {
    /// What it is, e.g. "study 3: randomization on mnist".
    pub label: String,
    /// Where the page shows it, e.g. `/studies/3`.
    pub href: String,
}

/// One line of a row's plot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Series {
    /// Its legend.
    pub name: String,
    /// `(x, y)` points in x order.
    pub points: Vec<(f64, f64)>,
}

/// A row's small plot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Plot {
    /// The horizontal axis.
    pub x_label: String,
    /// The vertical axis.
    pub y_label: String,
    /// Its lines.
    pub series: Vec<Series>,
}

/// memlab's measurement of a claim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Measured {
    /// The number (or numbers), as the page states it.
    pub value: String,
    /// Reproduced or differs.
    pub verdict: Verdict,
    /// The plot, when the claim is a trend.
    pub plot: Option<Plot>,
}

/// One published claim and where memlab stands on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Replication {
    /// Stable identifier, e.g. `zhang-fit`.
    pub key: String,
    /// The paper, e.g. "Zhang et al. 2017".
    pub paper: String,
    /// Where in it, e.g. "Figure 1a".
    pub source: String,
    /// The claim in one sentence.
    pub claim: String,
    /// The paper's number, as it states it.
    pub paper_value: String,
    /// What counts as reproduced.
    pub tolerance: String,
    /// The size memlab runs it at, next to the paper's.
    pub size: String,
    /// memlab's measurement, when its runs exist.
    pub measured: Option<Measured>,
    /// The runs it comes from (their pages).
    pub evidence: Vec<Evidence>,
    /// Whether an admin can queue its runs from the page.
    pub runnable: bool,
}

impl Replication {
    /// The verdict: the measurement's, or not yet run.
    pub fn verdict(&self) -> Verdict {
        self.measured
            .as_ref()
            .map_or(Verdict::NotYetRun, |measured| measured.verdict)
    }
}

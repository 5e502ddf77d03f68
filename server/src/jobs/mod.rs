//! The one job system. Every kind of work is a row in the store: a training run (an
//! experiment), each analysis of a finished run (bound panel, probes, Lie discovery, a learned
//! symmetry per mode), an analysis of a data set (patch geometry), and the follow-ups that
//! queue more rows (a study member's panels, the demo's). This runner claims the rows and runs
//! them on blocking threads; what a kind does lives in its own file ([`train`], [`geometry`],
//! and [`analysis::Analysis`] implemented in [`bounds`], [`probes`], [`lie`], [`symmetry`]).
//!
//! Concurrency is the runner's: one lane per resource family, each running one job at a time
//! (training; bound panels; probes and Lie discovery; learned symmetries; data sets), the
//! lanes side by side. A lane sleeps until `Wake::all` (`wake.rs`) or a poll interval. Work stopped by a shutdown is
//! queued again at the next start (training from its checkpoint, an analysis from the start).

pub mod analysis;
pub mod bounds;
pub mod geometry;
pub mod lie;
pub mod probes;
pub mod symmetry;
pub mod train;

use std::time::Duration;

use memlab_store as store;
use memlab_store::DbError;
use memlab_store::analyses::AnalysisKind;
use tokio::task::JoinHandle;

use crate::state::AppState;

/// How often an idle lane looks at the queue when nobody wakes it.
const POLL: Duration = Duration::from_secs(5);

/// A lane of the runner: what it claims, one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// Training runs, in the order they were queued.
    Training,
    /// Bound panels.
    Bounds,
    /// Invariance probes and Lie discovery (both short forward passes).
    Probes,
    /// Learned symmetries, both modes.
    Symmetry,
    /// Analyses of a data set (patch geometry).
    Datasets,
}

impl Lane {
    /// Every lane.
    pub const ALL: [Lane; 5] = [
        Lane::Training,
        Lane::Bounds,
        Lane::Probes,
        Lane::Symmetry,
        Lane::Datasets,
    ];

    /// The analyses of a run this lane runs (none for training and data sets).
    pub fn kinds(self) -> &'static [AnalysisKind] {
        match self {
            Lane::Training | Lane::Datasets => &[],
            Lane::Bounds => &[AnalysisKind::Bounds],
            Lane::Probes => &[AnalysisKind::Probes, AnalysisKind::Lie],
            Lane::Symmetry => &[
                AnalysisKind::SymmetryFromPhi,
                AnalysisKind::SymmetryFromLabels,
            ],
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Starts the runner: every lane, until the server stops (or the handle is aborted, which
/// stops them all).
pub fn spawn_worker(state: AppState) -> JoinHandle<()> {
    tokio::spawn(async move {
        tokio::join!(
            lane(state.clone(), Lane::Training),
            lane(state.clone(), Lane::Bounds),
            lane(state.clone(), Lane::Probes),
            lane(state.clone(), Lane::Symmetry),
            lane(state, Lane::Datasets),
        );
    })
}

async fn lane(state: AppState, lane: Lane) {
    loop {
        let stopped = state.wake.stopped();
        tokio::pin!(stopped);
        stopped.as_mut().enable();
        if state.is_stopping() {
            break;
        }
        let outcome = if lane == Lane::Training {
            // Training stops itself: it checkpoints after its current step.
            next(&state, lane).await
        } else {
            // An analysis keeps no checkpoint: at shutdown it is left (queued again at the
            // next start) rather than waited for.
            tokio::select! {
                outcome = next(&state, lane) => outcome,
                () = &mut stopped => break,
            }
        };
        match outcome {
            Ok(true) => {}
            Ok(false) => {
                let _ = tokio::time::timeout(POLL, state.wake.lane(lane.index()).notified()).await;
            }
            Err(error) => {
                tracing::error!(%error, ?lane, "job queue");
                tokio::time::sleep(POLL).await;
            }
        }
    }
}

/// Claims and runs the lane's next job; whether there was one.
async fn next(state: &AppState, lane: Lane) -> Result<bool, DbError> {
    if lane == Lane::Training {
        let Some(experiment) = store::experiments::claim_next(&state.pool).await? else {
            return Ok(false);
        };
        train::run(state, experiment).await;
    } else if lane == Lane::Datasets {
        let Some(claimed) = store::dataset_jobs::claim_next(&state.pool).await? else {
            return Ok(false);
        };
        geometry::run(state, claimed).await;
    } else {
        let Some(claimed) = store::analyses::claim_next(&state.pool, lane.kinds()).await? else {
            return Ok(false);
        };
        analysis::run_claimed(state, claimed).await;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_analysis_kind_has_exactly_one_lane() {
        for kind in AnalysisKind::ALL {
            let lanes = Lane::ALL
                .iter()
                .filter(|lane| lane.kinds().contains(&kind))
                .count();
            assert_eq!(lanes, 1, "{kind:?}");
        }
        assert!(Lane::Training.kinds().is_empty());
        assert!(Lane::Datasets.kinds().is_empty());
        for (index, lane) in Lane::ALL.into_iter().enumerate() {
            assert_eq!(lane.index(), index);
        }
        assert_eq!(Lane::ALL.len(), crate::wake::LANES);
    }
}

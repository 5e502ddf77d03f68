//! The job runner's wake-up signals (`jobs/`): one per lane. A signal sent while a lane is
//! busy is kept, so a job queued then is not left waiting for the poll.

use tokio::sync::Notify;

/// How many lanes the runner has.
pub const LANES: usize = 4;

/// One wake-up signal per lane.
#[derive(Debug, Default)]
pub struct Wake {
    lanes: [Notify; LANES],
}

impl Wake {
    /// Tells every lane to look at the queue (after a row was queued, or at shutdown).
    pub fn all(&self) {
        for lane in &self.lanes {
            lane.notify_one();
        }
    }

    /// The signal of lane `index`.
    pub fn lane(&self, index: usize) -> &Notify {
        &self.lanes[index]
    }
}

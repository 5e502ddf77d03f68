//! The job runner's wake-up signals (`jobs/`): one per lane (a signal sent while a lane is
//! busy is kept, so a job queued then is not left waiting for the poll), and shutdown.

use tokio::sync::Notify;

/// How many lanes the runner has.
pub const LANES: usize = 5;

/// One wake-up signal per lane, and the shutdown signal.
#[derive(Debug, Default)]
pub struct Wake {
    lanes: [Notify; LANES],
    stopped: Notify,
}

impl Wake {
    /// Tells every lane to look at the queue (after a row was queued, or at shutdown).
    pub fn all(&self) {
        for lane in &self.lanes {
            lane.notify_one();
        }
    }

    /// Tells every lane waiting on [`Wake::stopped`] that the server stops.
    pub fn stop(&self) {
        self.stopped.notify_waiters();
        self.all();
    }

    /// The shutdown signal (to be created before the stop flag is checked, so that a stop in
    /// between is not missed).
    pub fn stopped(&self) -> tokio::sync::futures::Notified<'_> {
        self.stopped.notified()
    }

    /// The signal of lane `index`.
    pub fn lane(&self, index: usize) -> &Notify {
        &self.lanes[index]
    }
}

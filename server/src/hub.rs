//! Live progress of running jobs: the latest numbers for the gallery and a broadcast channel
//! per experiment for the SSE stream.

use std::collections::HashMap;
use std::sync::Mutex;

use memlab_shared::api::{Progress, TrainingEvent};
use tokio::sync::broadcast;

/// Events buffered per subscriber before a slow one starts missing some.
const CHANNEL_CAPACITY: usize = 256;

/// Per-experiment live state.
#[derive(Debug, Default)]
pub struct Hub {
    channels: Mutex<HashMap<i64, Channel>>,
}

#[derive(Debug)]
struct Channel {
    sender: broadcast::Sender<TrainingEvent>,
    progress: Option<Progress>,
}

impl Hub {
    fn with<R>(&self, id: i64, action: impl FnOnce(&mut Channel) -> R) -> R {
        let mut channels = self
            .channels
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let channel = channels.entry(id).or_insert_with(|| Channel {
            sender: broadcast::channel(CHANNEL_CAPACITY).0,
            progress: None,
        });
        action(channel)
    }

    /// Subscribes to experiment `id`'s events from now on.
    pub fn subscribe(&self, id: i64) -> broadcast::Receiver<TrainingEvent> {
        self.with(id, |channel| channel.sender.subscribe())
    }

    /// Sends an event to the subscribers and remembers the latest progress.
    pub fn publish(&self, id: i64, event: TrainingEvent) {
        self.with(id, |channel| {
            match &event {
                TrainingEvent::Progress(progress) => channel.progress = Some(progress.clone()),
                TrainingEvent::Status { .. } => channel.progress = None,
                TrainingEvent::Epoch(_) => {}
            }
            // No subscriber is not an error: nobody is watching.
            let _ = channel.sender.send(event);
        });
    }

    /// The latest progress of a running experiment.
    pub fn progress(&self, id: i64) -> Option<Progress> {
        self.with(id, |channel| channel.progress.clone())
    }
}

//! Per-client rate limit on publishing images for share links: at most
//! `limits::MAX_PUBLISHED_PER_CLIENT` publications of one client address in any sliding window of
//! `limits::PUBLISH_WINDOW_SECONDS`; more are answered 429 with the seconds to wait.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use memlab_shared::limits::{MAX_PUBLISHED_PER_CLIENT, PUBLISH_WINDOW_SECONDS};

use crate::error::AppError;

/// Clients remembered before the ones with no publication in the window are forgotten.
const FORGET_ABOVE: usize = 4096;

/// Recent publications, per client address.
#[derive(Debug, Clone)]
pub struct PublishQuota {
    recent: Arc<Mutex<HashMap<IpAddr, VecDeque<Instant>>>>,
    most: usize,
    window: Duration,
}

impl Default for PublishQuota {
    fn default() -> Self {
        Self::new(
            MAX_PUBLISHED_PER_CLIENT,
            Duration::from_secs(PUBLISH_WINDOW_SECONDS),
        )
    }
}

impl PublishQuota {
    /// At most `most` publications per client in any `window`.
    pub fn new(most: usize, window: Duration) -> Self {
        Self {
            recent: Arc::default(),
            most,
            window,
        }
    }

    /// Counts one publication of `client` at `now`, or answers 429 when it has used its quota.
    pub fn take(&self, client: IpAddr, now: Instant) -> Result<(), AppError> {
        let mut recent = self
            .recent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let window = self.window;
        let fresh = |instant: &Instant| now.saturating_duration_since(*instant) < window;
        if recent.len() > FORGET_ABOVE {
            recent.retain(|_, times| times.back().is_some_and(fresh));
        }
        let times = recent.entry(client).or_default();
        while times.front().is_some_and(|oldest| !fresh(oldest)) {
            times.pop_front();
        }
        if times.len() >= self.most {
            let oldest = times.front().copied().unwrap_or(now);
            let wait = window.saturating_sub(now.saturating_duration_since(oldest));
            return Err(AppError::TooManyRequests(format!(
                "at most {} images of one client are published per {} s; retry in {} s",
                self.most,
                window.as_secs(),
                wait.as_secs().max(1)
            )));
        }
        times.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_its_quota_back_as_the_window_slides() {
        let quota = PublishQuota::new(2, Duration::from_secs(10));
        let client: IpAddr = "10.0.0.1".parse().expect("address");
        let other: IpAddr = "10.0.0.2".parse().expect("address");
        let start = Instant::now();
        let at = |seconds: u64| start + Duration::from_secs(seconds);
        assert!(quota.take(client, at(0)).is_ok());
        assert!(quota.take(client, at(4)).is_ok());
        let refused = quota.take(client, at(5)).expect_err("third in the window");
        assert!(refused.to_string().contains("retry in 5 s"), "{refused}");
        // Other clients have their own quota.
        assert!(quota.take(other, at(5)).is_ok());
        // The first publication leaves the window at 10 s, the second at 14 s.
        assert!(quota.take(client, at(10)).is_ok());
        assert!(quota.take(client, at(11)).is_err());
        assert!(quota.take(client, at(14)).is_ok());
    }
}

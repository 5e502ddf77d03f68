//! Per-client admission for uploads: at most `limits::MAX_UPLOADS_IN_FLIGHT_PER_CLIENT`
//! `/predict` requests of one client address are decoded and answered at once; more get 429.
//! A permit is given back when its request ends, however it ends.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use memlab_shared::limits::MAX_UPLOADS_IN_FLIGHT_PER_CLIENT;

use crate::error::AppError;

/// Uploads in flight, per client address.
#[derive(Debug, Default, Clone)]
pub struct UploadGate {
    in_flight: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One admitted upload; dropping it frees the slot.
#[derive(Debug)]
pub struct UploadPermit {
    gate: UploadGate,
    client: IpAddr,
}

impl UploadGate {
    /// Admits one more upload of `client`, or answers 429 when it already has the most.
    pub fn enter(&self, client: IpAddr) -> Result<UploadPermit, AppError> {
        let mut in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = in_flight.entry(client).or_insert(0);
        if *count >= MAX_UPLOADS_IN_FLIGHT_PER_CLIENT {
            return Err(AppError::TooManyRequests(format!(
                "at most {MAX_UPLOADS_IN_FLIGHT_PER_CLIENT} uploads of one client are handled at once; retry when one has been answered"
            )));
        }
        *count += 1;
        Ok(UploadPermit {
            gate: self.clone(),
            client,
        })
    }

    /// Uploads of `client` in flight now.
    pub fn in_flight(&self, client: IpAddr) -> usize {
        self.in_flight
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&client)
            .copied()
            .unwrap_or(0)
    }
}

impl Drop for UploadPermit {
    fn drop(&mut self) {
        let mut in_flight = self
            .gate
            .in_flight
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(count) = in_flight.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                in_flight.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_client_gets_its_share_and_others_are_not_affected() {
        let gate = UploadGate::default();
        let (a, b): (IpAddr, IpAddr) = (
            "10.0.0.1".parse().expect("address"),
            "10.0.0.2".parse().expect("address"),
        );
        let mut permits: Vec<_> = (0..MAX_UPLOADS_IN_FLIGHT_PER_CLIENT)
            .map(|_| gate.enter(a).expect("within the limit"))
            .collect();
        assert!(matches!(gate.enter(a), Err(AppError::TooManyRequests(_))));
        let other = gate.enter(b).expect("another client");
        drop(permits.pop());
        let again = gate.enter(a).expect("a slot was freed");
        assert_eq!(gate.in_flight(a), MAX_UPLOADS_IN_FLIGHT_PER_CLIENT);
        drop((again, other));
        assert_eq!(gate.in_flight(b), 0);
        drop(permits);
        assert_eq!(gate.in_flight(a), 0, "every permit given back");
    }
}

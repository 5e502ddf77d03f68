//! The learned-symmetry claim on Glasses (the research proposal's Figure 1, issue 19's goal):
//! L_θ, learned without glasses labels, toggles the glasses both ways on at least
//! [`TOGGLED`] of the faces and keeps identity and Φ's prediction on at least [`KEPT`].

use memlab_shared::replications::{Measured, Verdict};

/// The least toggle rate, on → off and off → on each.
pub const TOGGLED: f64 = 0.9;
/// The least fraction keeping identity (oracle) and Φ's prediction.
pub const KEPT: f64 = 0.95;

/// What the oracles scored for one learned L (scores only: no label trained it).
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// "from Φ" or "from f", with the run it belongs to.
    pub name: String,
    /// Glasses-on faces seen without them in L x.
    pub on_to_off: f64,
    /// Glasses-off faces seen with them in L x.
    pub off_to_on: f64,
    /// Faces the identity oracle still names right in L x.
    pub identity_kept: f64,
    /// Faces whose Φ prediction L x keeps.
    pub prediction_kept: f64,
}

impl Scored {
    fn passes(&self) -> bool {
        self.on_to_off >= TOGGLED
            && self.off_to_on >= TOGGLED
            && self.identity_kept >= KEPT
            && self.prediction_kept >= KEPT
    }
}

/// Reproduced when every scored L passes; `None` without one.
pub fn glasses(scored: &[Scored]) -> Option<Measured> {
    if scored.is_empty() {
        return None;
    }
    let value = scored
        .iter()
        .map(|s| {
            format!(
                "{}: toggled {:.3} on → off, {:.3} off → on; identity {:.3}, Φ kept {:.3}",
                s.name, s.on_to_off, s.off_to_on, s.identity_kept, s.prediction_kept
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    Some(Measured {
        value,
        verdict: if scored.iter().all(Scored::passes) {
            Verdict::Reproduced
        } else {
            Verdict::Differs
        },
        plot: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every threshold is inclusive and each one alone can fail the claim.
    #[test]
    fn every_mode_must_pass_every_threshold() {
        let good = Scored {
            name: "from Φ".into(),
            on_to_off: 1.0,
            off_to_on: 0.9,
            identity_kept: 0.95,
            prediction_kept: 0.96,
        };
        assert_eq!(
            glasses(std::slice::from_ref(&good)).expect("one").verdict,
            Verdict::Reproduced
        );
        for broken in [
            Scored {
                on_to_off: 0.89,
                ..good.clone()
            },
            Scored {
                off_to_on: 0.5,
                ..good.clone()
            },
            Scored {
                identity_kept: 0.94,
                ..good.clone()
            },
            Scored {
                prediction_kept: 0.9,
                ..good.clone()
            },
        ] {
            let both = glasses(&[good.clone(), broken]).expect("two");
            assert_eq!(both.verdict, Verdict::Differs, "{}", both.value);
        }
        assert_eq!(glasses(&[]), None);
    }
}

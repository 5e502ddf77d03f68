//! Finite grids for union bounds: a theorem stated for fixed norm bounds (or a fixed margin, or
//! a fixed prior variance) holds for all grid values at once when δ is split among them, so a
//! trained network's norms are rounded *up* to the next grid value and the bound pays
//! ln(grid size) per rounded quantity.

/// A geometric grid 2^(j / steps) for integer j in `[lowest, highest]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    /// Smallest exponent numerator j.
    pub lowest: i32,
    /// Largest exponent numerator j.
    pub highest: i32,
    /// Grid points per factor of 2.
    pub steps: i32,
}

/// Norms and margins: 2^(j/4) from 2⁻¹⁶ to 2³² (193 values; rounding up costs at most 19 %).
pub const NORMS: Grid = Grid {
    lowest: -64,
    highest: 128,
    steps: 4,
};

/// Prior standard deviations: 2^(j/4) from 2⁻⁶⁴ to 2⁸ (289 values).
pub const SCALES: Grid = Grid {
    lowest: -256,
    highest: 32,
    steps: 4,
};

impl Grid {
    /// Number of grid values.
    pub fn len(&self) -> usize {
        (self.highest - self.lowest + 1) as usize
    }

    /// Whether the grid is empty.
    pub fn is_empty(&self) -> bool {
        self.highest < self.lowest
    }

    /// ln of the number of grid values: what each quantity chosen on this grid costs.
    pub fn ln_len(&self) -> f64 {
        (self.len() as f64).ln()
    }

    fn value(&self, j: i32) -> f64 {
        2f64.powf(f64::from(j) / f64::from(self.steps))
    }

    /// Every grid value, smallest first.
    pub fn values(&self) -> impl Iterator<Item = f64> + '_ {
        (self.lowest..=self.highest).map(|j| self.value(j))
    }

    /// The smallest grid value ≥ `x` (the smallest value for anything below it); `None` when `x`
    /// is above the grid or not finite.
    pub fn round_up(&self, x: f64) -> Option<f64> {
        if !x.is_finite() {
            return None;
        }
        if x <= self.value(self.lowest) {
            return Some(self.value(self.lowest));
        }
        let mut j = (x.log2() * f64::from(self.steps)).ceil() as i32;
        // Guard against log2 rounding: step until value(j - 1) < x ≤ value(j).
        while j > self.lowest && self.value(j - 1) >= x {
            j -= 1;
        }
        while self.value(j) < x {
            j += 1;
        }
        (j <= self.highest).then(|| self.value(j))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_up_to_the_next_grid_value() {
        assert_eq!(NORMS.len(), 193);
        assert_eq!(NORMS.round_up(1.0), Some(1.0));
        assert_eq!(NORMS.round_up(4.0), Some(4.0));
        let up = NORMS.round_up(1.1).expect("in range");
        assert!((up - 2f64.powf(0.25)).abs() < 1e-12);
        assert_eq!(NORMS.round_up(1e-9), Some(2f64.powi(-16)));
        assert_eq!(NORMS.round_up(2f64.powi(33)), None);
        assert_eq!(NORMS.round_up(f64::NAN), None);
        for x in [0.3, 7.7, 123.4, 65_000.0] {
            let up = NORMS.round_up(x).expect("in range");
            assert!(
                up >= x && up < x * 2f64.powf(0.25) * (1.0 + 1e-12),
                "{x} → {up}"
            );
        }
    }
}

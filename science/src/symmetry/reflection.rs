//! The latent-reflection search (issue 19's fallback design): a small autoencoder of the
//! training images; candidate directions n in its code space (the top principal directions of
//! the codes centred in their groups and, when stage A ran, the direction between the
//! splitter's two sides), each ranked by how bimodal the codes are along it within the groups;
//! each defines the involution T z = z − 2(⟨n, z⟩ − b_g) n, b_g the midpoint of group g's two
//! modes; the edit is residual transfer, L x = x + Dec(T z) − Dec(z). The chosen edit is then
//! distilled into `TransformNet` (regression on training pairs (x, L x)) and the game refines
//! it. Next to the latent candidates stands the template edit of congealing (`congeal.rs`):
//! each group's images aligned by the data's nuisances, split in two, and moved by the other
//! side's mean. Every candidate is ranked by one measure, the share of the aligned images'
//! spread its two sides explain. No attribute label enters: on Glasses the oracles only score
//! the candidates.
//!
//! This file holds the reflections' geometry in code space; `search.rs` trains the autoencoder
//! and builds the candidates, `judge.rs` scores them, `distill.rs` distills the chosen one.

mod distill;
mod judge;
mod search;

pub(super) use distill::start;
pub(super) use search::congeal_split;

use super::discovery::dot;
use crate::linalg;

/// Groups smaller than this take the mean threshold of the others.
const MIN_GROUP: usize = 8;

/// T z = z − 2(⟨n, z⟩ − b_g) n: the reflection across the hyperplane ⟨n, z⟩ = b_g, an
/// involution for a unit n.
#[derive(Debug, Clone, PartialEq)]
pub struct Reflection {
    /// n, unit length.
    pub direction: Vec<f64>,
    /// b_g for each group.
    pub thresholds: Vec<f64>,
}

impl Reflection {
    /// The reflection across ⟨n, z⟩ = b_g for `direction` n (scaled to unit length here).
    pub fn new(direction: &[f64], thresholds: Vec<f64>) -> Self {
        let norm = dot(direction, direction).sqrt().max(f64::MIN_POSITIVE);
        Self {
            direction: direction.iter().map(|v| v / norm).collect(),
            thresholds,
        }
    }

    /// T z for a code of group `group`.
    pub fn reflect(&self, z: &[f64], group: usize) -> Vec<f64> {
        let b = self.thresholds.get(group).copied().unwrap_or(0.0);
        let s = 2.0 * (dot(&self.direction, z) - b);
        z.iter()
            .zip(&self.direction)
            .map(|(z, n)| z - s * n)
            .collect()
    }
}

/// The best split of `values` into two modes (1-D 2-means, solved exactly: the best threshold
/// between consecutive sorted values): the low mode's mean, the high mode's mean and the share
/// of the variance the split explains; `None` when the values do not vary.
pub fn two_modes(values: &[f64]) -> Option<(f64, f64, f64)> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let sum: f64 = sorted.iter().sum();
    let mean = sum / n.max(1) as f64;
    let total: f64 = sorted.iter().map(|v| (v - mean) * (v - mean)).sum();
    if n < 2 || total <= 0.0 {
        return None;
    }
    let (mut best, mut prefix) = (None, 0.0);
    for k in 1..n {
        prefix += sorted[k - 1];
        let (n0, n1) = (k as f64, (n - k) as f64);
        let (m0, m1) = (prefix / n0, (sum - prefix) / n1);
        let between = n0 * n1 / n as f64 * (m1 - m0) * (m1 - m0);
        if best.is_none_or(|(_, _, b)| between > b) {
            best = Some((m0, m1, between));
        }
    }
    best.map(|(m0, m1, between)| (m0, m1, (between / total).min(1.0)))
}

/// The members of each of `n_groups` groups.
fn members(groups: &[usize], n_groups: usize) -> Vec<Vec<usize>> {
    let mut members = vec![Vec::new(); n_groups];
    for (index, &group) in groups.iter().enumerate() {
        members[group].push(index);
    }
    members
}

/// Thresholds from each group's own estimate; groups without one take the mean of the others.
fn fill_thresholds(own: Vec<Option<f64>>) -> Vec<f64> {
    let known: Vec<f64> = own.iter().flatten().copied().collect();
    let fallback = known.iter().sum::<f64>() / known.len().max(1) as f64;
    own.into_iter().map(|b| b.unwrap_or(fallback)).collect()
}

/// Along the projections `p`: the size-weighted mean over groups (of at least [`MIN_GROUP`]) of
/// the variance share their two modes explain, and the midpoint of each group's modes.
pub fn modes_within(p: &[f64], groups: &[usize], n_groups: usize) -> (f64, Vec<f64>) {
    let (mut weighted, mut weight) = (0.0, 0.0);
    let own = members(groups, n_groups)
        .iter()
        .map(|indices| {
            if indices.len() < MIN_GROUP {
                return None;
            }
            let values: Vec<f64> = indices.iter().map(|&i| p[i]).collect();
            let (low, high, explained) = two_modes(&values)?;
            weighted += explained * values.len() as f64;
            weight += values.len() as f64;
            Some((low + high) / 2.0)
        })
        .collect();
    (weighted / weight.max(1.0), fill_thresholds(own))
}

/// The top `count` principal directions of the codes centred on their groups' means.
pub fn principal_directions(
    codes: &[Vec<f64>],
    groups: &[usize],
    n_groups: usize,
    count: usize,
) -> Vec<Vec<f64>> {
    let dim = codes.first().map_or(0, Vec::len);
    let mut centred = codes.to_vec();
    for indices in members(groups, n_groups) {
        let mut mean = vec![0.0; dim];
        for &i in &indices {
            for (m, v) in mean.iter_mut().zip(&codes[i]) {
                *m += v / indices.len() as f64;
            }
        }
        for &i in &indices {
            for (c, m) in centred[i].iter_mut().zip(&mean) {
                *c -= m;
            }
        }
    }
    let mut covariance = vec![vec![0.0; dim]; dim];
    for row in &centred {
        for (a, &ra) in row.iter().enumerate() {
            for (b, &rb) in row.iter().enumerate() {
                covariance[a][b] += ra * rb / codes.len().max(1) as f64;
            }
        }
    }
    let (values, vectors) = linalg::symmetric_eigen(&covariance);
    let mut order: Vec<usize> = (0..dim).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
    order
        .into_iter()
        .take(count)
        .map(|column| (0..dim).map(|row| vectors[row][column]).collect())
        .collect()
}

/// The direction between a binary factor's two sides (`sides`, e.g. the splitter's decisions):
/// the size-weighted mean over groups of (mean code on side 1 − mean code on side 0), with the
/// midpoint of the two sides' mean projections as each group's threshold; `None` when no group
/// has both sides.
pub fn side_reflection(
    codes: &[Vec<f64>],
    groups: &[usize],
    n_groups: usize,
    sides: &[bool],
) -> Option<Reflection> {
    let dim = codes.first().map_or(0, Vec::len);
    let mean_of = |indices: &[usize]| -> Vec<f64> {
        let mut mean = vec![0.0; dim];
        for &i in indices {
            for (m, v) in mean.iter_mut().zip(&codes[i]) {
                *m += v / indices.len() as f64;
            }
        }
        mean
    };
    let split: Vec<Option<(Vec<f64>, Vec<f64>)>> = members(groups, n_groups)
        .iter()
        .map(|indices| {
            let (on, off): (Vec<usize>, Vec<usize>) = indices.iter().partition(|&&i| sides[i]);
            (on.len() >= 2 && off.len() >= 2).then(|| (mean_of(&on), mean_of(&off)))
        })
        .collect();
    let mut direction = vec![0.0; dim];
    let mut any = false;
    for (pair, indices) in split.iter().zip(members(groups, n_groups)) {
        if let Some((on, off)) = pair {
            any = true;
            for (d, (a, b)) in direction.iter_mut().zip(on.iter().zip(off)) {
                *d += (a - b) * indices.len() as f64;
            }
        }
    }
    if !any || dot(&direction, &direction) == 0.0 {
        return None;
    }
    let unit = Reflection::new(&direction, Vec::new()).direction;
    let own = split
        .iter()
        .map(|pair| {
            pair.as_ref()
                .map(|(on, off)| (dot(on, &unit) + dot(off, &unit)) / 2.0)
        })
        .collect();
    Some(Reflection::new(&unit, fill_thresholds(own)))
}
/// Rounds of [`refine`].
const REFINE_ROUNDS: usize = 5;

/// A reflection made self-consistent: each code takes the side of the hyperplane it falls on,
/// the direction and thresholds are recomputed from those sides, [`REFINE_ROUNDS`] times (the
/// splitter's errors near the boundary stop pulling the direction).
pub fn refine(
    codes: &[Vec<f64>],
    groups: &[usize],
    n_groups: usize,
    start: &Reflection,
) -> Reflection {
    let mut reflection = start.clone();
    for _ in 0..REFINE_ROUNDS {
        let sides: Vec<bool> = codes
            .iter()
            .zip(groups)
            .map(|(z, &g)| dot(z, &reflection.direction) > reflection.thresholds[g])
            .collect();
        match side_reflection(codes, groups, n_groups, &sides) {
            Some(next) => reflection = next,
            None => break,
        }
    }
    reflection
}

#[cfg(test)]
mod tests {
    use super::*;

    /// T(T z) = z for any z and group, and T moves a point on the hyperplane nowhere.
    #[test]
    fn the_reflection_is_an_exact_involution() {
        let reflection = Reflection::new(&[3.0, 4.0, 0.0], vec![0.5, -2.0]);
        assert!((dot(&reflection.direction, &reflection.direction) - 1.0).abs() < 1e-15);
        for (z, group) in [(vec![1.0, -2.0, 7.0], 0), (vec![0.3, 0.1, -0.2], 1)] {
            let twice = reflection.reflect(&reflection.reflect(&z, group), group);
            for (a, b) in twice.iter().zip(&z) {
                assert!((a - b).abs() < 1e-12, "{twice:?} vs {z:?}");
            }
        }
        // On the hyperplane ⟨n, z⟩ = 0.5 (group 0): z = 0.5 n + anything orthogonal.
        let on_plane = vec![0.3, 0.4, 9.0];
        let moved = reflection.reflect(&on_plane, 0);
        for (a, b) in moved.iter().zip(&on_plane) {
            assert!((a - b).abs() < 1e-12);
        }
        // By hand: z = (1, 0, 0), n = (0.6, 0.8, 0), b = 0.5: ⟨n, z⟩ = 0.6, s = 0.2,
        // T z = (1 − 0.12, −0.16, 0).
        let by_hand = reflection.reflect(&[1.0, 0.0, 0.0], 0);
        let expected = [0.88, -0.16, 0.0];
        for (a, b) in by_hand.iter().zip(expected) {
            assert!((a - b).abs() < 1e-12, "{by_hand:?}");
        }
    }

    /// Two points per mode are split exactly (all variance explained); an even grid on
    /// [−1, 1] splits at 0 with centres ∓1/2 and, in the limit, 3/4 of its variance explained.
    #[test]
    fn two_modes_has_known_answers() {
        let (low, high, explained) = two_modes(&[2.0, -1.0, 2.0, -1.0]).expect("values vary");
        assert_eq!((low, high), (-1.0, 2.0));
        assert!((explained - 1.0).abs() < 1e-12);
        let grid: Vec<f64> = (0..2000)
            .map(|i| -1.0 + (i as f64 + 0.5) / 1000.0)
            .collect();
        let (low, high, explained) = two_modes(&grid).expect("values vary");
        assert!((low + 0.5).abs() < 1e-9 && (high - 0.5).abs() < 1e-9);
        assert!((explained - 0.75).abs() < 1e-5, "{explained}");
        assert_eq!(two_modes(&[1.0, 1.0, 1.0]), None);
        // By hand: {0, 1, 3}, total = 0 + 1 + 9 − 16/3 = 14/3; split {0} | {1, 3}: between
        // = 1·2/3·2² = 8/3; split {0, 1} | {3}: 2·1/3·2.5² = 25/6, the larger: explained 25/28.
        let (low, high, explained) = two_modes(&[3.0, 0.0, 1.0]).expect("values vary");
        assert_eq!((low, high), (0.5, 3.0));
        assert!((explained - 25.0 / 28.0).abs() < 1e-12);
    }

    /// Codes with a planted binary factor along the third axis within two groups whose means
    /// differ: the side direction is that axis, each group's threshold is its midpoint, and
    /// the reflection maps each side's points onto the other's.
    #[test]
    fn the_side_direction_finds_a_planted_factor() {
        let mut codes = Vec::new();
        let mut groups = Vec::new();
        let mut sides = Vec::new();
        for group in 0..2 {
            for k in 0..20 {
                let on = k % 2 == 0;
                let offset = if group == 0 { 0.0 } else { 5.0 };
                let jitter = 0.01 * (k / 2) as f64;
                codes.push(vec![
                    offset + jitter,
                    -offset,
                    offset + if on { 1.0 } else { -1.0 },
                ]);
                groups.push(group);
                sides.push(on);
            }
        }
        let reflection = side_reflection(&codes, &groups, 2, &sides).expect("both sides present");
        assert!(
            (reflection.direction[2] - 1.0).abs() < 1e-12,
            "{reflection:?}"
        );
        assert!((reflection.thresholds[0] - 0.0).abs() < 1e-12);
        assert!((reflection.thresholds[1] - 5.0).abs() < 1e-12);
        let moved = reflection.reflect(&codes[0], 0);
        assert!((moved[2] + 1.0).abs() < 1e-12);
        // Along the planted axis the codes are two points per group: fully bimodal.
        let p: Vec<f64> = codes.iter().map(|z| z[2]).collect();
        let (bimodality, thresholds) = modes_within(&p, &groups, 2);
        assert!((bimodality - 1.0).abs() < 1e-12);
        assert_eq!(thresholds, vec![0.0, 5.0]);
        // The principal within-group direction is the planted axis too (its variance 1
        // against the jitter's).
        let top = &principal_directions(&codes, &groups, 2, 1)[0];
        assert!((top[2].abs() - 1.0).abs() < 1e-6, "{top:?}");
    }

    /// Sides with a tenth of them wrong (every tenth code put on the other side) still give a
    /// direction near the planted axis; refining along it recovers the planted sides exactly, so
    /// the thresholds become the true midpoints.
    #[test]
    fn refining_recovers_planted_sides_from_noisy_ones() {
        let (mut codes, mut groups, mut noisy) = (Vec::new(), Vec::new(), Vec::new());
        for group in 0..2 {
            for k in 0..40 {
                let on = k % 2 == 0;
                let offset = 3.0 * group as f64;
                // A nuisance axis with a spread as large as the factor's, the same on both sides.
                let nuisance = ((k / 2) as f64 / 20.0 - 0.5) * 2.0;
                codes.push(vec![nuisance, offset + if on { 1.0 } else { -1.0 }]);
                groups.push(group);
                noisy.push(if k % 10 == 3 { !on } else { on });
            }
        }
        let start = side_reflection(&codes, &groups, 2, &noisy).expect("both sides present");
        let refined = refine(&codes, &groups, 2, &start);
        assert!(
            (refined.direction[1].abs() - 1.0).abs() < 1e-9,
            "{refined:?}"
        );
        let sign = refined.direction[1].signum();
        assert!((refined.thresholds[0] - 0.0).abs() < 1e-9);
        assert!(
            (refined.thresholds[1] - 3.0 * sign).abs() < 1e-9,
            "{refined:?}"
        );
    }

    /// A group too small to split takes the mean threshold of the others.
    #[test]
    fn small_groups_take_the_mean_threshold() {
        assert_eq!(
            fill_thresholds(vec![Some(1.0), None, Some(3.0)]),
            vec![1.0, 2.0, 3.0]
        );
    }
}

//! The geometry of a set of patches: its PCA spectrum, and its intrinsic dimension by TwoNN
//! (Facco et al. 2017) and by the Levina–Bickel maximum-likelihood estimator (2004), both from
//! exact nearest neighbours (brute force, Euclidean).

use memlab_shared::geometry::{GeometryQuery, IntrinsicDimension, PatchGeometry};
use memlab_shared::limits;
use memlab_shared::preprocess::InputSpec;
use rayon::prelude::*;

use crate::linalg::{mean_and_covariance, symmetric_eigen};

/// The eigenvalues of the covariance of the rows of `rows` (`dim` columns), largest first.
pub fn pca_spectrum(rows: &[f32], dim: usize) -> Vec<f64> {
    let (_, covariance) = mean_and_covariance(rows, dim);
    let (mut values, _) = symmetric_eigen(&covariance);
    values.sort_by(|a, b| b.total_cmp(a));
    values
}

/// The rows of `rows` with exact duplicates removed (first occurrence kept). Nearest-neighbour
/// estimators need distinct points: a repeated patch (e.g. blank background) has distance 0.
pub fn distinct_rows(rows: &[f32], dim: usize) -> Vec<f32> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows.chunks(dim) {
        let key: Vec<u32> = row.iter().map(|v| v.to_bits()).collect();
        if seen.insert(key) {
            out.extend_from_slice(row);
        }
    }
    out
}

/// For every row, the distances to its `k` nearest other rows, nearest first.
pub fn nearest_distances(rows: &[f32], dim: usize, k: usize) -> Vec<Vec<f64>> {
    let points: Vec<&[f32]> = rows.chunks(dim).collect();
    points
        .par_iter()
        .enumerate()
        .map(|(i, a)| {
            let mut nearest: Vec<f64> = Vec::with_capacity(k + 1);
            for (j, b) in points.iter().enumerate() {
                if i == j {
                    continue;
                }
                let d2: f64 = a
                    .iter()
                    .zip(b.iter())
                    .map(|(x, y)| f64::from(x - y).powi(2))
                    .sum();
                if nearest.len() < k || d2 < nearest[k - 1] {
                    let at = nearest.partition_point(|&v| v <= d2);
                    nearest.insert(at, d2);
                    nearest.truncate(k);
                }
            }
            nearest.into_iter().map(f64::sqrt).collect()
        })
        .collect()
}

/// Both estimates of the distinct rows of `rows`, from one nearest-neighbour search.
pub fn intrinsic_dimension(rows: &[f32], dim: usize, k: usize) -> IntrinsicDimension {
    let distinct = distinct_rows(rows, dim);
    let distances = nearest_distances(&distinct, dim, k.max(2));
    IntrinsicDimension {
        points: distinct.len() / dim.max(1),
        two_nn: two_nn(&distances),
        levina_bickel: levina_bickel(&distances, k),
        k,
    }
}

/// TwoNN from each point's nearest distances: with μᵢ = r₂/r₁ the ratio of the second- to the
/// first-neighbour distance, d̂ = N / ∑ ln μᵢ (the maximum-likelihood estimate under
/// μ ~ Pareto(d)). Needs ≥ 2 points with two neighbours.
pub fn two_nn(distances: &[Vec<f64>]) -> Option<f64> {
    let logs: Vec<f64> = distances
        .iter()
        .filter(|d| d.len() >= 2 && d[0] > 0.0)
        .map(|d| (d[1] / d[0]).ln())
        .collect();
    let sum: f64 = logs.iter().sum();
    (logs.len() >= 2 && sum > 0.0).then(|| logs.len() as f64 / sum)
}

/// Levina–Bickel from each point's nearest distances: each point's estimate
/// m̂ₖ(x) = [1/(k−2) ∑_{j<k} ln(Tₖ(x)/Tⱼ(x))]⁻¹ from the distances Tⱼ to its j-th neighbour,
/// averaged over the points: their eq. 8 with the k − 2 normalization they give as the unbiased
/// one (k − 1 overestimates d by (k−1)/(k−2)). `k ≥ 3`.
pub fn levina_bickel(distances: &[Vec<f64>], k: usize) -> Option<f64> {
    if k < 3 {
        return None;
    }
    let estimates: Vec<f64> = distances
        .iter()
        .filter(|d| d.len() >= k && d[0] > 0.0)
        .filter_map(|d| {
            let sum: f64 = d[..k - 1].iter().map(|t| (d[k - 1] / t).ln()).sum();
            (sum > 0.0).then(|| (k - 2) as f64 / sum)
        })
        .collect();
    (!estimates.is_empty()).then(|| estimates.iter().sum::<f64>() / estimates.len() as f64)
}

/// What [`patch_geometry`] measures.
#[derive(Debug, Clone)]
pub struct GeometrySettings {
    /// Patch sides.
    pub sizes: Vec<usize>,
    /// Patches drawn per side.
    pub count: usize,
    /// Whitening regularizer ε.
    pub epsilon: f64,
    /// Levina–Bickel's neighbours.
    pub k: usize,
    /// Seed of the draws.
    pub seed: u64,
}

/// The settings `query` asks for on a data set of `input` with `train_len` training images,
/// and the training images it reads (the first `images`, all when there are fewer), or why it
/// is refused (the API's and the CLI's one set of rules).
pub fn settings(
    query: &GeometryQuery,
    input: &InputSpec,
    train_len: usize,
) -> Result<(GeometrySettings, Vec<usize>), String> {
    let side = input.height.min(input.width).min(limits::PATCH_SIZE.max);
    limits::PATCH_SIZE
        .named("min_patch")
        .up_to(side)
        .check(query.min_patch)?;
    limits::PATCH_SIZE
        .named("max_patch")
        .up_to(side)
        .check(query.max_patch)?;
    if query.max_patch < query.min_patch {
        return Err(format!(
            "max_patch ({}) must be at least min_patch ({})",
            query.max_patch, query.min_patch
        ));
    }
    limits::GEOMETRY_PATCHES.check(query.patches)?;
    limits::GEOMETRY_K
        .up_to(limits::GEOMETRY_K.max.min(query.patches - 1))
        .check(query.k)?;
    limits::GEOMETRY_WHITENING.check(query.whitening)?;
    limits::Range::closed("images", 1, usize::MAX).check(query.images)?;
    let settings = GeometrySettings {
        sizes: (query.min_patch..=query.max_patch).collect(),
        count: query.patches,
        epsilon: query.whitening,
        k: query.k,
        seed: query.seed,
    };
    Ok((settings, (0..query.images.min(train_len)).collect()))
}

/// [`PatchGeometry`] of `settings.count` patches of each side, drawn (seeded) from the images
/// `images` of `split`; `progress` hears the fraction done before each side.
pub fn patch_geometry(
    split: &crate::data::Split,
    spec: &memlab_shared::preprocess::InputSpec,
    images: &[usize],
    settings: &GeometrySettings,
    progress: crate::progress::Report<'_>,
) -> Vec<PatchGeometry> {
    let (count, epsilon, k, seed) = (settings.count, settings.epsilon, settings.k, settings.seed);
    let sides = settings.sizes.len().max(1) as f64;
    settings
        .sizes
        .iter()
        .enumerate()
        .map(|(index, &patch)| {
            progress(index as f64 / sides, &format!("patches of side {patch}"));
            let dim = super::extract::patch_len(spec, patch);
            let rows = super::extract::sample_patches(split, spec, images, patch, count, seed);
            let whitening = super::whitening::Whitening::fit(&rows, dim, Some(epsilon));
            let whitened: Vec<f32> = rows
                .chunks(dim)
                .flat_map(|row| whitening.apply(row))
                .map(|v| v as f32)
                .collect();
            let spectrum = whitening.spectrum.clone();
            let total: f64 = spectrum.iter().map(|v| v.max(0.0)).sum();
            let mut running = 0.0;
            let components_90 = spectrum
                .iter()
                .take_while(|v| {
                    running += v.max(0.0);
                    running < 0.9 * total
                })
                .count()
                + 1;
            PatchGeometry {
                patch,
                sampled: count,
                whitened_spectrum: pca_spectrum(&whitened, dim),
                spectrum,
                components_90: components_90.min(dim),
                raw: intrinsic_dimension(&rows, dim, k),
                whitened: intrinsic_dimension(&whitened, dim, k),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    #[test]
    fn query_rules_known_answers() {
        let input = InputSpec::raw(1, 28, 28);
        let query = GeometryQuery {
            images: 50,
            ..GeometryQuery::default()
        };
        let (settings, images) = settings(&query, &input, 20).expect("the defaults are valid");
        assert_eq!(settings.sizes, (3..=9).collect::<Vec<_>>());
        assert_eq!(images, (0..20).collect::<Vec<_>>());
        let swapped = GeometryQuery {
            min_patch: 5,
            max_patch: 4,
            ..query.clone()
        };
        assert!(settings_error(&swapped, &input).contains("at least min_patch"));
        let too_wide = GeometryQuery {
            max_patch: 17,
            ..query.clone()
        };
        assert!(settings_error(&too_wide, &input).contains("max_patch"));
        let k_too_large = GeometryQuery {
            patches: 100,
            k: 100,
            ..query.clone()
        };
        assert!(settings_error(&k_too_large, &input).contains('k'));
    }

    fn settings_error(query: &GeometryQuery, input: &InputSpec) -> String {
        settings(query, input, 10).expect_err("refused")
    }

    /// A standard normal draw (Box–Muller).
    fn normal(rng: &mut SplitMix64) -> f64 {
        let u = rng.next_f64().max(1e-300);
        let v = rng.next_f64();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// `n` points uniform on the unit d-sphere of R^{d+1}, mapped into R^ambient by a random
    /// isometry (orthonormal columns by Gram–Schmidt).
    fn sphere(d: usize, ambient: usize, n: usize, seed: u64) -> Vec<f32> {
        let mut rng = SplitMix64::new(seed);
        let mut basis: Vec<Vec<f64>> = Vec::new();
        while basis.len() < d + 1 {
            let mut v: Vec<f64> = (0..ambient).map(|_| normal(&mut rng)).collect();
            for b in &basis {
                let dot: f64 = v.iter().zip(b).map(|(x, y)| x * y).sum();
                v.iter_mut().zip(b).for_each(|(x, y)| *x -= dot * y);
            }
            let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            basis.push(v.into_iter().map(|x| x / norm).collect());
        }
        let mut out = Vec::with_capacity(n * ambient);
        for _ in 0..n {
            let z: Vec<f64> = (0..=d).map(|_| normal(&mut rng)).collect();
            let norm = z.iter().map(|x| x * x).sum::<f64>().sqrt();
            out.extend((0..ambient).map(|a| {
                z.iter()
                    .zip(&basis)
                    .map(|(zi, b)| zi / norm * b[a])
                    .sum::<f64>() as f32
            }));
        }
        out
    }

    #[test]
    fn estimators_recover_the_dimension_of_spheres_in_r50() {
        for d in [2usize, 5, 10] {
            let points = sphere(d, 50, 4000, 11 + d as u64);
            let estimate = intrinsic_dimension(&points, 50, 10);
            let two = estimate.two_nn.expect("estimate");
            let mle = estimate.levina_bickel.expect("estimate");
            let target = d as f64;
            eprintln!("d = {d}: TwoNN {two:.3}, Levina–Bickel {mle:.3}");
            assert!(
                (two - target).abs() <= 0.1 * target,
                "TwoNN {two} for d = {d}"
            );
            assert!(
                (mle - target).abs() <= 0.1 * target,
                "MLE {mle} for d = {d}"
            );
        }
    }

    #[test]
    fn two_nn_by_hand_on_a_line() {
        // Points 0, 1, 3, 7 on a line in R².
        let rows = [0.0f32, 0.0, 1.0, 0.0, 3.0, 0.0, 7.0, 0.0];
        // 0: r₁ = 1 (to 1), r₂ = 3 (to 3) → 3; 1: r₁ = 1, r₂ = 2 → 2; 3: r₁ = 2, r₂ = 3 → 1.5;
        // 7: r₁ = 4, r₂ = 6 → 1.5.
        let expected = 4.0 / (3f64.ln() + 2f64.ln() + 2.0 * 1.5f64.ln());
        assert!(
            (two_nn(&nearest_distances(&rows, 2, 2)).expect("estimate") - expected).abs() < 1e-12
        );
    }

    #[test]
    fn levina_bickel_by_hand() {
        // Points 0, 1, 2, 4 on a line, k = 3 (neighbours T₁ ≤ T₂ ≤ T₃).
        // 0: 1, 2, 4; 1: 1, 1, 3; 2: 1, 2, 2; 4: 2, 3, 4.
        let rows = [0.0f32, 1.0, 2.0, 4.0];
        let m = |t: [f64; 3]| 1.0 / ((t[2] / t[0]).ln() + (t[2] / t[1]).ln());
        let expected =
            (m([1.0, 2.0, 4.0]) + m([1.0, 1.0, 3.0]) + m([1.0, 2.0, 2.0]) + m([2.0, 3.0, 4.0]))
                / 4.0;
        let estimate = levina_bickel(&nearest_distances(&rows, 1, 3), 3).expect("estimate");
        assert!((estimate - expected).abs() < 1e-12);
    }

    #[test]
    fn pca_spectrum_of_a_known_covariance() {
        // Rows (±a, 0) and (0, ±b): covariance diag(a²/2·4/3, b²/2·4/3) (unbiased, n = 4).
        let rows = [3.0f32, 0.0, -3.0, 0.0, 0.0, 1.0, 0.0, -1.0];
        let spectrum = pca_spectrum(&rows, 2);
        assert!((spectrum[0] - 18.0 / 3.0).abs() < 1e-9, "{spectrum:?}");
        assert!((spectrum[1] - 2.0 / 3.0).abs() < 1e-9, "{spectrum:?}");
    }

    #[test]
    fn duplicates_are_dropped_before_neighbours() {
        let rows = [0.0f32, 0.0, 1.0, 0.0, 0.0, 0.0, 3.0, 0.0];
        assert_eq!(distinct_rows(&rows, 2), vec![0.0, 0.0, 1.0, 0.0, 3.0, 0.0]);
        let estimate = intrinsic_dimension(&rows, 2, 3);
        assert_eq!(estimate.points, 3);
        // 0: r = 1, 3; 1: r = 1, 2; 3: r = 2, 3.
        let expected = 3.0 / (3f64.ln() + 2f64.ln() + 1.5f64.ln());
        assert!((estimate.two_nn.expect("estimate") - expected).abs() < 1e-12);
    }

    #[test]
    fn patch_geometry_of_images_with_one_varying_pixel() {
        // 1×3×3 images, all pixels 0 but the centre, which takes 50 distinct values: every
        // 3×3 patch is the image, so the patches vary along one direction only.
        let spec = memlab_shared::preprocess::InputSpec::raw(1, 3, 3);
        let split = crate::data::Split {
            images: (0..50u8)
                .flat_map(|v| [0, 0, 0, 0, v * 5, 0, 0, 0, 0])
                .collect(),
            labels: vec![0; 50],
            image_len: 9,
        };
        let images: Vec<usize> = (0..50).collect();
        let settings = GeometrySettings {
            sizes: vec![3],
            count: 400,
            epsilon: 1e-3,
            k: 5,
            seed: 1,
        };
        let mut heard = Vec::new();
        let geometry = patch_geometry(&split, &spec, &images, &settings, &mut |f, _| heard.push(f));
        assert_eq!(
            heard,
            vec![0.0],
            "one side, announced before it is measured"
        );
        let g = &geometry[0];
        assert_eq!(g.components_90, 1);
        assert!(g.spectrum[1].abs() < 1e-12, "{:?}", g.spectrum);
        // Whitening maps the one direction to variance λ/(λ + ε) ≈ 1.
        let lambda = g.spectrum[0];
        assert!((g.whitened_spectrum[0] - lambda / (lambda + 1e-3)).abs() < 1e-6);
        // Points on a line: dimension 1 (the 50 values are evenly spaced, so TwoNN's ratios
        // are 1 except at the ends, and the estimate is large; Levina–Bickel sees a line).
        assert_eq!(g.raw.points, 50);
        let mle = g.raw.levina_bickel.expect("estimate");
        assert!((mle - 1.0).abs() < 0.5, "{mle}");
    }
}

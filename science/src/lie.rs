//! Lie-generator discovery (LieGG-style, Moskalev et al. 2022): in the 6-dimensional affine
//! algebra of the image plane, which directions does a model's representation not see?
//!
//! Each canonical generator G_i (translations, rotation, scaling, stretch, shear), scaled to
//! move pixels by an RMS of one pixel per unit, acts on test images by exp(±h G_i); central
//! differences give the features' change D_i and the image's change V_i. With
//! M_ij = E⟨D_i, D_j⟩ / spread and N_ij = E⟨V_i, V_j⟩ / values, the generator c minimizing
//! cᵀMc / cᵀNc (feature change per image change) is the smallest generalized eigenvector:
//! eigenvectors of N^{-1/2} M N^{-1/2}, mapped back by N^{-1/2}.

use std::time::Instant;

use burn::prelude::*;
use memlab_shared::lie::{CANONICAL, LieGenerator, LieReport, LieRequest};
use memlab_shared::limits;
use memlab_shared::preprocess::{InputSpec, Pixels, normalize};
use memlab_shared::transform::{Affine, Fill, warp};

use crate::finished::Finished;
use crate::linalg::{self, Matrix};
use crate::probes;
use crate::probes::spread;
use crate::progress::Report;

/// Images per forward pass (each brings 12 warped copies).
const CHUNK: usize = 40;

/// The request with defaults filled in, or why it is refused.
pub fn settings(request: &LieRequest) -> Result<(usize, f64), String> {
    let n_images = limits::LIE_IMAGES.check(request.n_images.unwrap_or(500))?;
    let step = limits::LIE_STEP.check(request.step.unwrap_or(0.5))?;
    Ok((n_images, step))
}

/// The canonical generators for `height × width` images, each moving pixels by an RMS of one
/// pixel per unit parameter (about the image centre, y down).
pub fn canonical_generators(height: usize, width: usize) -> [Affine; 6] {
    let (cy, cx) = ((height as f64 - 1.0) / 2.0, (width as f64 - 1.0) / 2.0);
    let mut total = 0.0;
    for row in 0..height {
        for col in 0..width {
            total += (row as f64 - cy).powi(2) + (col as f64 - cx).powi(2);
        }
    }
    let radius = (total / (height * width) as f64).sqrt().max(1e-9) as f32;
    let linear = |m: [[f32; 2]; 2]| Affine {
        linear: m.map(|row| row.map(|v| v / radius)),
        shift: [0.0, 0.0],
    };
    [
        Affine {
            linear: [[0.0; 2]; 2],
            shift: [1.0, 0.0],
        },
        Affine {
            linear: [[0.0; 2]; 2],
            shift: [0.0, 1.0],
        },
        linear([[0.0, 1.0], [-1.0, 0.0]]),
        linear([[1.0, 0.0], [0.0, 1.0]]),
        linear([[1.0, 0.0], [0.0, -1.0]]),
        linear([[0.0, 1.0], [1.0, 0.0]]),
    ]
}

/// A network under study: normalized images `[n, c, h, w]` → features `[n, d]`.
pub type Features<'a> = &'a dyn Fn(Tensor<4>) -> Tensor<2>;

fn features_of(
    images: &[Pixels],
    spec: &InputSpec,
    features: Features,
    device: &Device,
) -> (Vec<f32>, usize) {
    let values: Vec<f32> = images.iter().flat_map(|p| normalize(p, spec)).collect();
    let batch = Tensor::<4>::from_data(
        TensorData::new(
            values,
            [images.len(), spec.channels, spec.height, spec.width],
        ),
        device,
    );
    let out = features(batch);
    let width = out.dims()[1];
    (out.into_data().iter::<f32>().collect(), width)
}

/// The sensitivity Gram matrices (M, N) over `images`, and the canonical sensitivities.
pub fn gram_matrices(
    images: &[Pixels],
    spec: &InputSpec,
    features: Features,
    step: f64,
    device: &Device,
    progress: Report,
) -> (Matrix, Matrix) {
    let generators = canonical_generators(spec.height, spec.width);
    let (base, width) = features_of(images, spec, features, device);
    let scale = spread(&base, width).max(1e-12);
    let values = (spec.channels * spec.height * spec.width) as f64;
    let mut m = vec![vec![0.0; 6]; 6];
    let mut n = vec![vec![0.0; 6]; 6];
    let h = step as f32;
    for (index, chunk) in images.chunks(CHUNK).enumerate() {
        progress(
            (index * CHUNK) as f64 / images.len() as f64,
            "features along each generator",
        );
        // For each image, 6 generators × (+h, −h), in that order.
        let moved: Vec<Pixels> = chunk
            .iter()
            .flat_map(|image| {
                generators
                    .iter()
                    .flat_map(move |g| [h, -h].map(|t| warp(image, &Affine::exp(g, t), Fill::Zero)))
            })
            .collect();
        let (feats, _) = features_of(&moved, spec, features, device);
        for (offset, _) in chunk.iter().enumerate() {
            let image_change = |i: usize| -> Vec<f64> {
                let (plus, minus) = (&moved[offset * 12 + 2 * i], &moved[offset * 12 + 2 * i + 1]);
                plus.values
                    .iter()
                    .zip(&minus.values)
                    .map(|(a, b)| f64::from(a - b) / (2.0 * step))
                    .collect()
            };
            let feature_change = |i: usize| -> Vec<f64> {
                let at =
                    |k: usize| &feats[(offset * 12 + k) * width..(offset * 12 + k + 1) * width];
                at(2 * i)
                    .iter()
                    .zip(at(2 * i + 1))
                    .map(|(a, b)| f64::from(a - b) / (2.0 * step))
                    .collect()
            };
            let d: Vec<Vec<f64>> = (0..6).map(feature_change).collect();
            let v: Vec<Vec<f64>> = (0..6).map(image_change).collect();
            for i in 0..6 {
                for j in 0..6 {
                    m[i][j] += d[i].iter().zip(&d[j]).map(|(a, b)| a * b).sum::<f64>() / scale;
                    n[i][j] += v[i].iter().zip(&v[j]).map(|(a, b)| a * b).sum::<f64>() / values;
                }
            }
        }
    }
    let count = images.len().max(1) as f64;
    for row in m.iter_mut().chain(n.iter_mut()) {
        row.iter_mut().for_each(|x| *x /= count);
    }
    (m, n)
}

/// The generalized eigenvectors of (M, N), most invariant first, and the canonical
/// generators' own sensitivities M_ii / N_ii.
pub fn generators(m: &Matrix, n: &Matrix) -> (Vec<f64>, Vec<LieGenerator>) {
    let canonical = (0..6).map(|i| m[i][i] / n[i][i].max(1e-30)).collect();
    let root = linalg::psd_inverse_sqrt(n);
    let whitened = linalg::multiply_matrices(&linalg::multiply_matrices(&root, m), &root);
    let (values, vectors) = linalg::symmetric_eigen(&whitened);
    let mut found: Vec<LieGenerator> = (0..6)
        .map(|k| {
            let u: Vec<f64> = (0..6).map(|i| vectors[i][k]).collect();
            let c: Vec<f64> = (0..6)
                .map(|i| (0..6).map(|j| root[i][j] * u[j]).sum())
                .collect();
            let norm = c.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-30);
            // A sign convention: the largest coefficient is positive.
            let largest =
                c.iter().copied().fold(
                    0.0f64,
                    |best, x| if x.abs() > best.abs() { x } else { best },
                );
            let sign = if largest < 0.0 { -1.0 } else { 1.0 };
            let coefficients: Vec<f64> = c.iter().map(|x| sign * x / norm).collect();
            let cosines: Vec<f64> = coefficients.iter().map(|x| x.abs()).collect();
            let closest = cosines
                .iter()
                .enumerate()
                .fold(
                    (0, 0.0),
                    |best, (i, &x)| if x > best.1 { (i, x) } else { best },
                )
                .0;
            LieGenerator {
                sensitivity: values[k].max(0.0),
                coefficients,
                cosines,
                closest: CANONICAL[closest].to_owned(),
            }
        })
        .collect();
    found.sort_by(|a, b| a.sensitivity.total_cmp(&b.sensitivity));
    (canonical, found)
}

/// Discovers the invariant generators of a finished experiment's model (blocking).
pub fn analyse(
    run: &Finished,
    request: &LieRequest,
    device: &Device,
    device_name: &str,
    progress: Report,
) -> Result<LieReport, String> {
    let started = Instant::now();
    let (n_images, step) = settings(request)?;
    let Finished {
        dataset,
        card,
        model,
    } = run;
    let images: Vec<Pixels> = probes::subset(dataset.test.len(), n_images, 2)
        .into_iter()
        .map(|index| dataset.test_pixels(index))
        .collect();
    let features = |batch: Tensor<4>| model.features(batch);
    let (m, n) = gram_matrices(&images, &card.input, &features, step, device, progress);
    let (canonical_sensitivity, generators) = generators(&m, &n);
    Ok(LieReport {
        n_images: images.len(),
        step,
        canonical_sensitivity,
        generators,
        seconds: started.elapsed().as_secs_f64(),
        device: device_name.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Gaussian blob well inside a `side × side` image.
    fn blob(side: usize, cx: f32, cy: f32, width: f32) -> Pixels {
        let values = (0..side * side)
            .map(|p| {
                let (y, x) = ((p / side) as f32, (p % side) as f32);
                (-((x - cx).powi(2) + (y - cy).powi(2)) / (2.0 * width * width)).exp()
            })
            .collect();
        Pixels {
            channels: 1,
            height: side,
            width: side,
            values,
        }
    }

    fn spec(side: usize) -> InputSpec {
        InputSpec::raw(1, side, side)
    }

    #[test]
    fn canonical_generators_move_pixels_by_one_rms() {
        let side = 9;
        for generator in canonical_generators(side, side) {
            let c = (side as f32 - 1.0) / 2.0;
            let mut total = 0.0;
            for row in 0..side {
                for col in 0..side {
                    let (x, y) = (col as f32 - c, row as f32 - c);
                    let [[a, b], [cc, d]] = generator.linear;
                    let (dx, dy) = (
                        a * x + b * y + generator.shift[0],
                        cc * x + d * y + generator.shift[1],
                    );
                    total += dx * dx + dy * dy;
                }
            }
            assert!(((total / (side * side) as f32).sqrt() - 1.0).abs() < 1e-5);
        }
    }

    /// Total mass is kept by every area-preserving motion (translations, rotation, and to first
    /// order stretch and shear) but not by scaling: the one sensitive direction is scaling, and
    /// the generator most sensitive is scaling with cosine ≈ 1.
    #[test]
    fn total_mass_sees_only_scaling() {
        let device = Device::flex();
        let side = 24;
        let images: Vec<Pixels> = [
            (11.0, 12.0, 2.0),
            (12.5, 11.0, 2.5),
            (11.5, 11.5, 1.8),
            (12.0, 12.5, 3.0),
        ]
        .iter()
        .map(|&(cx, cy, w)| blob(side, cx, cy, w))
        .collect();
        // Different masses, so the spread is not zero: scale each blob.
        let images: Vec<Pixels> = images
            .into_iter()
            .enumerate()
            .map(|(i, mut p)| {
                p.values.iter_mut().for_each(|v| *v *= 1.0 + i as f32);
                p
            })
            .collect();
        let mass = |batch: Tensor<4>| {
            let n = batch.dims()[0];
            batch.reshape([n as i32, -1]).sum_dim(1)
        };
        let (m, n) = gram_matrices(&images, &spec(side), &mass, 0.25, &device, &mut |_, _| {});
        let (canonical, found) = generators(&m, &n);
        let scaling = canonical[3];
        for (i, s) in canonical.iter().enumerate() {
            if i != 3 {
                assert!(
                    *s < 1e-3 * scaling,
                    "{}: {s} vs scaling {scaling}",
                    CANONICAL[i]
                );
            }
        }
        let most = found.last().expect("six generators");
        assert_eq!(most.closest, "scaling");
        assert!(most.cosines[3] > 0.99, "{most:?}");
        assert!(found[0].sensitivity < 1e-3 * most.sensitivity);
    }

    #[test]
    fn settings_refuse_bad_values() {
        assert_eq!(settings(&LieRequest::default()), Ok((500, 0.5)));
        assert!(
            settings(&LieRequest {
                n_images: Some(1),
                step: None
            })
            .is_err()
        );
        assert!(
            settings(&LieRequest {
                n_images: None,
                step: Some(0.0)
            })
            .is_err()
        );
        assert!(
            settings(&LieRequest {
                n_images: None,
                step: Some(f64::NAN)
            })
            .is_err()
        );
    }
}

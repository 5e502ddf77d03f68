//! The data-dependent encoder of a [`PatchNet`]: whitening statistics and Q atoms drawn from
//! the first `dictionary_images` training images (the dictionary split: bounds on the model are
//! about the other training images only), turned into the network's kernels and offsets.

use burn::module::Param;
use burn::prelude::*;
use memlab_shared::model::{PatchNet, PatchNetConfig};
use memlab_shared::preprocess::InputSpec;

use super::extract::{patch_len, sample_patches};
use super::whitening::Whitening;
use crate::data::Split;
use crate::encoded::fixed_vector;

/// Patches the whitening statistics are estimated from.
pub const WHITENING_SAMPLE: usize = 100_000;

/// A fitted encoder: the whitening and, per atom d (d̃ = d − μ, u = W d̃), the kernel W u and
/// the offsets b⁺ = ⟨W u, μ⟩ + ½‖u‖², b⁻ = ½‖u‖² − ⟨W u, μ⟩.
#[derive(Debug, Clone)]
pub struct Encoder {
    /// The whitening the distances use.
    pub whitening: Whitening,
    /// The atoms as drawn (normalized pixels), `atoms × patch_len`.
    pub atoms: Vec<f32>,
    /// Kernels W²d̃, `atoms × patch_len`.
    pub kernels: Vec<f32>,
    /// b⁺ per atom.
    pub offsets: Vec<f32>,
    /// b⁻ per atom.
    pub negative_offsets: Vec<f32>,
}

impl Encoder {
    /// Draws the whitening sample and the atoms from the first `config.dictionary_images`
    /// images of `train`, from `seed`.
    pub fn fit(train: &Split, spec: &InputSpec, config: &PatchNetConfig, seed: u64) -> Self {
        let images: Vec<usize> = (0..config.dictionary_images.min(train.len())).collect();
        let dim = patch_len(spec, config.patch);
        let sample = sample_patches(train, spec, &images, config.patch, WHITENING_SAMPLE, seed);
        let whitening = Whitening::fit(&sample, dim, config.whitening);
        let atoms = sample_patches(
            train,
            spec,
            &images,
            config.patch,
            config.atoms,
            seed ^ 0x5851_f42d_4c95_7f2d,
        );
        Self::from_atoms(whitening, atoms, dim)
    }

    /// The encoder of given atoms under `whitening`.
    pub fn from_atoms(whitening: Whitening, atoms: Vec<f32>, dim: usize) -> Self {
        let mut kernels = Vec::with_capacity(atoms.len());
        let mut offsets = Vec::new();
        let mut negative_offsets = Vec::new();
        for atom in atoms.chunks(dim) {
            let u = whitening.apply(atom);
            let kernel = whitening.multiply(&u);
            let half_norm = 0.5 * u.iter().map(|v| v * v).sum::<f64>();
            let at_mean: f64 = kernel.iter().zip(&whitening.mean).map(|(k, m)| k * m).sum();
            kernels.extend(kernel.iter().map(|&v| v as f32));
            offsets.push((at_mean + half_norm) as f32);
            negative_offsets.push((half_norm - at_mean) as f32);
        }
        Self {
            whitening,
            atoms,
            kernels,
            offsets,
            negative_offsets,
        }
    }

    /// `model` with this encoder's kernels and offsets.
    pub fn install(&self, model: PatchNet, config: &PatchNetConfig, device: &Device) -> PatchNet {
        let shape = [config.atoms, config.channels, config.patch, config.patch];
        PatchNet {
            kernels: Param::from_tensor(Tensor::from_data(
                TensorData::new(self.kernels.clone(), shape),
                device,
            )),
            offsets: fixed_vector(&self.offsets, device),
            negative_offsets: fixed_vector(&self.negative_offsets, device),
            ..model
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patches::extract::image_patches;
    use crate::rng::SplitMix64;

    /// Adaptive average pooling's region of output cell `i` of `out` over `len` inputs.
    fn region(i: usize, out: usize, len: usize) -> std::ops::Range<usize> {
        (i * len / out)..((i + 1) * len).div_ceil(out)
    }

    /// The encoding by its definition: whitened distances of each patch (and of its negative)
    /// to each atom, the k nearest marked, marks averaged over the grid's regions.
    fn brute_force(
        encoder: &Encoder,
        image: &[f32],
        spec: &InputSpec,
        config: &PatchNetConfig,
    ) -> Vec<f32> {
        let dim = patch_len(spec, config.patch);
        let side = [
            spec.height + 1 - config.patch,
            spec.width + 1 - config.patch,
        ];
        let atoms: Vec<Vec<f64>> = encoder
            .atoms
            .chunks(dim)
            .map(|a| encoder.whitening.apply(a))
            .collect();
        let patches = image_patches(image, spec, config.patch);
        let mut marks = vec![vec![0f32; side[0] * side[1]]; 2 * config.atoms];
        for (position, patch) in patches.chunks(dim).enumerate() {
            let negative: Vec<f32> = patch
                .iter()
                .zip(&encoder.whitening.mean)
                .map(|(x, m)| (2.0 * m - f64::from(*x)) as f32)
                .collect();
            for (sign, row) in [patch.to_vec(), negative].iter().enumerate() {
                let w = encoder.whitening.apply(row);
                let mut distances: Vec<(f64, usize)> = atoms
                    .iter()
                    .enumerate()
                    .map(|(q, a)| (a.iter().zip(&w).map(|(x, y)| (x - y).powi(2)).sum(), q))
                    .collect();
                distances.sort_by(|a, b| a.0.total_cmp(&b.0));
                for &(_, q) in &distances[..config.neighbors] {
                    marks[sign * config.atoms + q][position] = 1.0;
                }
            }
        }
        let mut out = Vec::new();
        for channel in &marks {
            for gi in 0..config.grid {
                for gj in 0..config.grid {
                    let (rows, columns) = (
                        region(gi, config.grid, side[0]),
                        region(gj, config.grid, side[1]),
                    );
                    let count = rows.len() * columns.len();
                    let sum: f32 = rows
                        .flat_map(|i| columns.clone().map(move |j| (i, j)))
                        .map(|(i, j)| channel[i * side[1] + j])
                        .sum();
                    out.push(sum / count as f32);
                }
            }
        }
        out
    }

    #[test]
    fn the_network_marks_the_k_nearest_whitened_atoms_of_each_patch_and_its_negative() {
        let device = Device::flex();
        for (channels, side, patch, grid, epsilon) in [
            (1, 8, 3, 2, Some(0.01)),
            (2, 7, 3, 2, Some(0.1)),
            (1, 6, 2, 3, None),
        ] {
            let spec = InputSpec {
                channels,
                height: side,
                width: side,
                mean: vec![0.3; channels],
                std: vec![0.2; channels],
            };
            let mut rng = SplitMix64::new(side as u64);
            let n = 40;
            let train = Split {
                images: (0..n * spec.len())
                    .map(|_| (rng.next_u64() % 256) as u8)
                    .collect(),
                labels: vec![0; n],
                image_len: spec.len(),
            };
            let config = PatchNetConfig::new(channels, side, side, 3, patch, 7, 3, grid, 20)
                .with_whitening(epsilon);
            let encoder = Encoder::fit(&train, &spec, &config, 9);
            let model = encoder.install(config.init(&device), &config, &device);
            for index in [20, 33] {
                let image = crate::patches::extract::normalized_image(&train, &spec, index);
                let expected = brute_force(&encoder, &image, &spec, &config);
                let input = Tensor::<4>::from_data(
                    TensorData::new(image.clone(), [1, channels, side, side]),
                    &device,
                );
                let got: Vec<f32> = model
                    .marks(input)
                    .into_data()
                    .try_into_vec::<f32>()
                    .expect("f32");
                assert_eq!(got.len(), config.encoding_len());
                for (g, e) in got.iter().zip(&expected) {
                    assert!(
                        (g - e).abs() < 1e-6,
                        "{channels}×{side}², p {patch}: {got:?} vs {expected:?}"
                    );
                }
            }
        }
    }
}

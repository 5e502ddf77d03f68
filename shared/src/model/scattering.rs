//! The 2-D scattering transform of order 2 (Mallat 2012), computed as Kymatio's `Scattering2D`
//! computes it, with burn tensors: reflect padding, the DFT, products with the Morlet filters in
//! the Fourier domain, subsampling by periodization, modulus, and the border crop:
//! S x = {x ⋆ φ_J, |x ⋆ ψ_{j1,θ1}| ⋆ φ_J, ||x ⋆ ψ_{j1,θ1}| ⋆ ψ_{j2,θ2}| ⋆ φ_J (j2 > j1)},
//! in Kymatio's channel order. The filters are fixed (built from the config, never trained).

use burn::module::Param;
use burn::prelude::*;

use crate::scattering::filters::{
    FilterBank, channel_count, filter_bank, output_len, padded_len, wavelet_levels,
};
use crate::scattering::fourier::{Spectrum, fft2, ifft2};

/// Configuration of a [`Scattering`] transform.
#[derive(Config, Debug)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScatteringConfig {
    /// Input height in pixels.
    pub height: usize,
    /// Input width in pixels.
    pub width: usize,
    /// Number of scales J (2^J ≤ height and width).
    pub scales: usize,
    /// Number of angles L.
    pub angles: usize,
}

/// Fixed Morlet filters in the Fourier domain.
#[derive(Module, Debug)]
pub struct Scattering {
    /// `wavelets[r]`: the wavelets of scale j ≥ r cropped to resolution 2^r,
    /// `[(J − r) · L, M / 2^r, N / 2^r]`, scale major, angle minor.
    pub wavelets: Vec<Param<Tensor<3>>>,
    /// `lowpass[r]`: φ_J cropped to resolution 2^r, `[M / 2^r, N / 2^r]`.
    pub lowpass: Vec<Param<Tensor<2>>>,
    /// Input height.
    pub height: usize,
    /// Input width.
    pub width: usize,
    /// J.
    pub scales: usize,
    /// L.
    pub angles: usize,
}

impl ScatteringConfig {
    /// Scattering channels per input channel.
    pub fn channels(&self) -> usize {
        channel_count(self.scales, self.angles)
    }

    /// `[rows, columns]` of each output map.
    pub fn output_size(&self) -> [usize; 2] {
        [
            output_len(self.height, self.scales),
            output_len(self.width, self.scales),
        ]
    }

    /// Kymatio's filter bank for this input size.
    pub fn filter_bank(&self) -> FilterBank {
        filter_bank(
            padded_len(self.height, self.scales),
            padded_len(self.width, self.scales),
            self.scales,
            self.angles,
        )
    }

    /// Builds the transform with its filters on `device`.
    pub fn init(&self, device: &Device) -> Scattering {
        let bank = self.filter_bank();
        let (rows, columns) = (bank.rows, bank.columns);
        let wavelets = (0..wavelet_levels(self.scales).min(self.scales))
            .map(|level| {
                let members: Vec<_> = bank
                    .wavelets
                    .iter()
                    .filter(|wavelet| wavelet.scale >= level)
                    .collect();
                let values = members
                    .iter()
                    .flat_map(|wavelet| wavelet.levels[level].iter().map(|&v| v as f32))
                    .collect();
                Param::from_tensor(Tensor::from_data(
                    TensorData::new(values, [members.len(), rows >> level, columns >> level]),
                    device,
                ))
            })
            .collect();
        let lowpass = bank
            .lowpass
            .iter()
            .enumerate()
            .map(|(level, values)| {
                let values: Vec<f32> = values.iter().map(|&v| v as f32).collect();
                Param::from_tensor(Tensor::from_data(
                    TensorData::new(values, [rows >> level, columns >> level]),
                    device,
                ))
            })
            .collect();
        Scattering {
            wavelets,
            lowpass,
            height: self.height,
            width: self.width,
            scales: self.scales,
            angles: self.angles,
        }
    }
}

/// numpy's `reflect` padding of `len` values by `before` and `after`: the source index of each
/// padded position (the edge is not repeated; long pads reflect again).
fn reflect_indices(len: usize, before: usize, after: usize) -> Vec<i64> {
    let period = 2 * (len as i64 - 1).max(1);
    (0..len + before + after)
        .map(|i| {
            let t = (i as i64 - before as i64).rem_euclid(period);
            if len == 1 {
                0
            } else if t < len as i64 {
                t
            } else {
                period - t
            }
        })
        .collect()
}

impl Scattering {
    /// The filter at `level` for the `count` wavelets from scale `scale` on.
    fn wavelets_of_scale(&self, level: usize, scale: usize) -> Tensor<3> {
        self.wavelets[level]
            .val()
            .detach()
            .narrow(0, (scale - level) * self.angles, self.angles)
    }

    /// |x ⋆ ψ| ⋆ φ_J from the spectrum of |x ⋆ ψ| at resolution 2^`level`: filter by φ_J,
    /// subsample to 2^J, back to space, crop one coefficient at each border.
    fn smoothed(&self, spectrum: Spectrum, level: usize) -> Tensor<3> {
        let lowpass = self.lowpass[level].val().detach().unsqueeze_dim::<3>(0);
        let space = ifft2(
            spectrum
                .filtered(lowpass)
                .subsampled(1 << (self.scales - level)),
        )
        .re;
        let [batch, rows, columns] = space.dims();
        space.slice([0..batch, 1..rows - 1, 1..columns - 1])
    }

    /// |x ⋆ ψ_{j,θ}| for the L angles of scale `scale`, from the spectrum of x at resolution
    /// 2^`level`, subsampled to 2^`scale`, as a spectrum again: `[batch · L, …]`.
    fn propagated(&self, spectrum: Spectrum, level: usize, scale: usize) -> Spectrum {
        let filters = self.wavelets_of_scale(level, scale);
        let modulus = ifft2(spectrum.filtered(filters).subsampled(1 << (scale - level))).modulus();
        fft2(modulus)
    }

    /// The scattering coefficients, Kymatio's order: order 0, then order 1 by (j1, θ1), then
    /// order 2 by (j1, θ1, j2, θ2); each input channel's coefficients together.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: `[batch, channels · (1 + JL + L²J(J−1)/2), out_h, out_w]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<4> {
        let [batch, channels, height, width] = images.dims();
        let device = images.device();
        let (rows, columns) = (
            padded_len(height, self.scales),
            padded_len(width, self.scales),
        );
        let index = |len: usize, padded: usize| {
            let before = (padded - len) / 2;
            let values = reflect_indices(len, before, padded - len - before);
            Tensor::<1, Int>::from_data(TensorData::new(values, [padded]), &device)
        };
        let signals = batch * channels;
        let padded = images
            .reshape([signals, height, width])
            .select(1, index(height, rows))
            .select(2, index(width, columns));
        let spectrum = fft2(padded);
        let [out_h, out_w] = [
            output_len(height, self.scales),
            output_len(width, self.scales),
        ];
        let l = self.angles;
        let mut orders = vec![
            self.smoothed(spectrum.clone(), 0)
                .reshape([signals, 1, out_h, out_w]),
        ];
        let mut second = Vec::new();
        for j1 in 0..self.scales {
            let first = self.propagated(spectrum.clone(), 0, j1); // [signals · L, …] at 2^j1
            orders.push(
                self.smoothed(first.clone(), j1)
                    .reshape([signals, l, out_h, out_w]),
            );
            let paths: Vec<Tensor<5>> = (j1 + 1..self.scales)
                .map(|j2| {
                    self.smoothed(self.propagated(first.clone(), j1, j2), j2)
                        .reshape([signals, l, l, out_h, out_w])
                })
                .collect();
            if !paths.is_empty() {
                let count = paths.len();
                second.push(Tensor::cat(paths, 2).reshape([signals, l * count * l, out_h, out_w]));
            }
        }
        orders.extend(second);
        Tensor::cat(orders, 1).reshape([
            batch,
            channels * channel_count(self.scales, self.angles),
            out_h,
            out_w,
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflect_padding_is_numpys() {
        // np.pad([0, 1, 2, 3], (2, 3), mode="reflect") = [2, 1, 0, 1, 2, 3, 2, 1, 0]
        assert_eq!(reflect_indices(4, 2, 3), vec![2, 1, 0, 1, 2, 3, 2, 1, 0]);
        // Longer than the signal: reflects again. np.pad([0, 1], (3, 3), "reflect")
        // = [1, 0, 1, 0, 1, 0, 1, 0]
        assert_eq!(reflect_indices(2, 3, 3), vec![1, 0, 1, 0, 1, 0, 1, 0]);
    }

    #[test]
    fn a_constant_image_scatters_to_its_value_times_the_lowpass_mass() {
        let device = Device::flex();
        let config = ScatteringConfig::new(16, 16, 2, 4);
        let scattering = config.init(&device);
        let out = scattering.forward(Tensor::ones([1, 1, 16, 16], &device).mul_scalar(0.5));
        assert_eq!(out.dims(), [1, 25, 4, 4]);
        let values = out.into_data().try_into_vec::<f32>().expect("f32");
        let dc = config.filter_bank().lowpass[0][0] as f32;
        // Order 0: the constant times φ̂(0); every wavelet has zero mean, so orders 1 and 2
        // vanish.
        assert!(values[..16].iter().all(|v| (v - 0.5 * dc).abs() < 1e-5));
        assert!(
            values[16..].iter().all(|v| v.abs() < 1e-4),
            "{:?}",
            &values[16..32]
        );
    }
}

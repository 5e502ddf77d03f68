//! Complex spectra as pairs of real tensors, and the operations the scattering transform
//! needs on them: the 2-D discrete Fourier transform and its inverse (as products with the
//! cos/sin matrices, which run as matrix multiplications on any backend, the browser's WebGPU
//! included), products with real Fourier-domain filters, subsampling by periodization, and the
//! modulus.

use burn::prelude::*;
use std::f64::consts::PI;

/// A batch of complex 2-D arrays, `[batch, rows, columns]` real and imaginary parts.
#[derive(Clone, Debug)]
pub struct Spectrum {
    /// Real part.
    pub re: Tensor<3>,
    /// Imaginary part.
    pub im: Tensor<3>,
}

/// cos(2πkm/n) and sin(2πkm/n), `[n, n]` (symmetric), computed in f64 with km reduced mod n.
fn dft_matrices(n: usize, device: &Device) -> (Tensor<2>, Tensor<2>) {
    let mut cos = Vec::with_capacity(n * n);
    let mut sin = Vec::with_capacity(n * n);
    for k in 0..n {
        for m in 0..n {
            let angle = 2.0 * PI * ((k * m) % n) as f64 / n as f64;
            cos.push(angle.cos() as f32);
            sin.push(angle.sin() as f32);
        }
    }
    (
        Tensor::from_data(TensorData::new(cos, [n, n]), device),
        Tensor::from_data(TensorData::new(sin, [n, n]), device),
    )
}

/// `x · matrix` along the last axis: `[batch, rows, n] × [n, n]`.
fn along_columns(x: Tensor<3>, matrix: Tensor<2>) -> Tensor<3> {
    let [batch, rows, columns] = x.dims();
    x.reshape([batch * rows, columns])
        .matmul(matrix)
        .reshape([batch, rows, columns])
}

/// `matrix · x` along the middle axis (the matrices here are symmetric).
fn along_rows(x: Tensor<3>, matrix: Tensor<2>) -> Tensor<3> {
    along_columns(x.swap_dims(1, 2), matrix).swap_dims(1, 2)
}

/// One complex DFT along one axis: `forward` multiplies by e^{−2πikm/n}, otherwise by
/// e^{+2πikm/n} / n.
fn transform(
    spectrum: Spectrum,
    forward: bool,
    apply: fn(Tensor<3>, Tensor<2>) -> Tensor<3>,
    n: usize,
) -> Spectrum {
    let device = spectrum.re.device();
    let (cos, sin) = dft_matrices(n, &device);
    let re_cos = apply(spectrum.re.clone(), cos.clone());
    let im_cos = apply(spectrum.im.clone(), cos);
    let re_sin = apply(spectrum.re, sin.clone());
    let im_sin = apply(spectrum.im, sin);
    if forward {
        Spectrum {
            re: re_cos + im_sin,
            im: im_cos - re_sin,
        }
    } else {
        let scale = 1.0 / n as f64;
        Spectrum {
            re: (re_cos - im_sin).mul_scalar(scale),
            im: (im_cos + re_sin).mul_scalar(scale),
        }
    }
}

/// The 2-D DFT of real arrays `[batch, rows, columns]`.
pub fn fft2(x: Tensor<3>) -> Spectrum {
    let [_, rows, columns] = x.dims();
    let device = x.device();
    let (cos, sin) = dft_matrices(columns, &device);
    let half = Spectrum {
        re: along_columns(x.clone(), cos),
        im: along_columns(x, sin).neg(),
    };
    transform(half, true, along_rows, rows)
}

/// The inverse 2-D DFT.
pub fn ifft2(spectrum: Spectrum) -> Spectrum {
    let [_, rows, columns] = spectrum.re.dims();
    let half = transform(spectrum, false, along_columns, columns);
    transform(half, false, along_rows, rows)
}

impl Spectrum {
    /// Products with each of `filters` (real, `[count, rows, columns]`): `[batch · count,
    /// rows, columns]`, filter index minor.
    pub fn filtered(self, filters: Tensor<3>) -> Spectrum {
        let [batch, rows, columns] = self.re.dims();
        let count = filters.dims()[0];
        let filters = filters.unsqueeze_dim::<4>(0); // [1, count, rows, columns]
        let apply = |part: Tensor<3>| {
            (part.unsqueeze_dim::<4>(1) * filters.clone()).reshape([batch * count, rows, columns])
        };
        Spectrum {
            re: apply(self.re),
            im: apply(self.im),
        }
    }

    /// The spectrum of the array subsampled by `factor` in space: the mean over the
    /// `factor`×`factor` blocks of size rows/factor × columns/factor (periodization).
    pub fn subsampled(self, factor: usize) -> Spectrum {
        if factor == 1 {
            return self;
        }
        let [batch, rows, columns] = self.re.dims();
        let (out_rows, out_columns) = (rows / factor, columns / factor);
        let fold = |part: Tensor<3>| {
            part.reshape([batch, factor, out_rows, factor, out_columns])
                .mean_dim(3)
                .mean_dim(1)
                .reshape([batch, out_rows, out_columns])
        };
        Spectrum {
            re: fold(self.re),
            im: fold(self.im),
        }
    }

    /// |z| element-wise.
    pub fn modulus(self) -> Tensor<3> {
        (self.re.powi_scalar(2) + self.im.powi_scalar(2)).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device() -> Device {
        Device::flex()
    }

    fn values(t: Tensor<3>) -> Vec<f32> {
        t.into_data().try_into_vec::<f32>().expect("f32")
    }

    #[test]
    fn fft_matches_the_definition_and_inverts() {
        let device = device();
        let (rows, columns) = (3usize, 4usize);
        let x: Vec<f32> = (0..12).map(|i| ((i * 7) % 5) as f32 - 1.5).collect();
        let spectrum = fft2(Tensor::from_data(
            TensorData::new(x.clone(), [1, rows, columns]),
            &device,
        ));
        let (re, im) = (values(spectrum.re.clone()), values(spectrum.im.clone()));
        for k in 0..rows {
            for l in 0..columns {
                let (mut a, mut b) = (0.0f64, 0.0f64);
                for m in 0..rows {
                    for n in 0..columns {
                        let angle = -2.0
                            * PI
                            * ((k * m) as f64 / rows as f64 + (l * n) as f64 / columns as f64);
                        a += f64::from(x[m * columns + n]) * angle.cos();
                        b += f64::from(x[m * columns + n]) * angle.sin();
                    }
                }
                assert!((f64::from(re[k * columns + l]) - a).abs() < 1e-5);
                assert!((f64::from(im[k * columns + l]) - b).abs() < 1e-5);
            }
        }
        let back = ifft2(spectrum);
        for (got, want) in values(back.re).iter().zip(&x) {
            assert!((got - want).abs() < 1e-5);
        }
        assert!(values(back.im).iter().all(|v| v.abs() < 1e-5));
    }

    #[test]
    fn periodizing_the_spectrum_subsamples_in_space() {
        let device = device();
        let x: Vec<f32> = (0..16).map(|i| (i as f32 * 0.37).sin()).collect();
        let spectrum = fft2(Tensor::from_data(
            TensorData::new(x.clone(), [1, 4, 4]),
            &device,
        ));
        let sub = values(ifft2(spectrum.subsampled(2)).re);
        // x[2u, 2v]
        let want = [x[0], x[2], x[8], x[10]];
        for (got, want) in sub.iter().zip(want) {
            assert!((got - want).abs() < 1e-5, "{got} {want}");
        }
    }
}

//! The kernels themselves, on plain `f32` slices in NCHW order: im2col / col2im for stride-1
//! convolutions, per-channel sums, and 2×2 max-pooling with its gradient.

#[cfg(feature = "parallel")]
use rayon::prelude::*;

/// Calls `body(index, chunk)` for each `size`-long chunk of `data`, on all threads when the
/// `parallel` feature is on.
fn for_each_chunk<F>(data: &mut [f32], size: usize, body: F)
where
    F: Fn(usize, &mut [f32]) + Send + Sync,
{
    #[cfg(feature = "parallel")]
    data.par_chunks_mut(size)
        .enumerate()
        .for_each(|(index, chunk)| body(index, chunk));
    #[cfg(not(feature = "parallel"))]
    data.chunks_mut(size)
        .enumerate()
        .for_each(|(index, chunk)| body(index, chunk));
}

/// Shape of a stride-1, dilation-1, single-group convolution with a square kernel and the same
/// zero padding on every side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvGeometry {
    /// Images in the batch.
    pub batch: usize,
    /// Input channels.
    pub channels: usize,
    /// Input height.
    pub height: usize,
    /// Input width.
    pub width: usize,
    /// Output channels.
    pub filters: usize,
    /// Kernel side.
    pub kernel: usize,
    /// Zero padding on each side.
    pub padding: usize,
}

impl ConvGeometry {
    /// Output height, `height + 2·padding − kernel + 1`.
    pub fn out_height(&self) -> usize {
        self.height + 2 * self.padding + 1 - self.kernel
    }

    /// Output width.
    pub fn out_width(&self) -> usize {
        self.width + 2 * self.padding + 1 - self.kernel
    }

    /// Output positions per image and filter.
    pub fn positions(&self) -> usize {
        self.out_height() * self.out_width()
    }

    /// Rows of one image's column matrix: `channels · kernel²`, the weights of one filter.
    pub fn rows(&self) -> usize {
        self.channels * self.kernel * self.kernel
    }

    /// Whether the kernel fits inside the padded input.
    pub fn is_valid(&self) -> bool {
        self.kernel >= 1
            && self.height + 2 * self.padding >= self.kernel
            && self.width + 2 * self.padding >= self.kernel
    }

    /// The input channel, kernel row and kernel column of a column-matrix row.
    fn row_parts(&self, row: usize) -> (usize, usize, usize) {
        let k = self.kernel;
        (row / (k * k), (row / k) % k, row % k)
    }

    /// For kernel column `kx`, the output columns `lo..hi` that read inside the image (the rest
    /// read padding) and the input column that output column `lo` reads.
    fn span(&self, kx: usize) -> (usize, usize, usize) {
        let lo = self.padding.saturating_sub(kx);
        let hi = (self.width + self.padding)
            .saturating_sub(kx)
            .min(self.out_width())
            .max(lo);
        (lo, hi, lo + kx - self.padding)
    }

    /// For kernel row `ky` and output row `oy`, the input row read, if inside the image.
    fn input_row(&self, ky: usize, oy: usize) -> Option<usize> {
        (oy + ky)
            .checked_sub(self.padding)
            .filter(|&row| row < self.height)
    }
}

/// Column matrices of a batch, `[batch, channels·k², out_h·out_w]`: entry (r, p) of image n is
/// the input pixel that weight r multiplies at output position p (0 in the padding).
pub fn im2col(x: &[f32], g: ConvGeometry) -> Vec<f32> {
    let (positions, ow, plane) = (g.positions(), g.out_width(), g.height * g.width);
    let per_image = g.rows() * positions;
    let mut cols = vec![0.0; g.batch * per_image];
    for_each_chunk(&mut cols, per_image, |n, image_cols| {
        for row in 0..g.rows() {
            let (c, ky, kx) = g.row_parts(row);
            let (lo, hi, first) = g.span(kx);
            if hi == lo {
                continue;
            }
            let input = &x[(n * g.channels + c) * plane..][..plane];
            for oy in 0..g.out_height() {
                if let Some(iy) = g.input_row(ky, oy) {
                    let source = &input[iy * g.width + first..][..hi - lo];
                    image_cols[row * positions + oy * ow + lo..][..hi - lo].copy_from_slice(source);
                }
            }
        }
    });
    cols
}

/// The adjoint of [`im2col`]: sums each column-matrix entry back onto the input pixel it came
/// from, giving `[batch, channels, height, width]`.
pub fn col2im(cols: &[f32], g: ConvGeometry) -> Vec<f32> {
    let (positions, ow, plane) = (g.positions(), g.out_width(), g.height * g.width);
    let per_image = g.rows() * positions;
    let mut x = vec![0.0; g.batch * g.channels * plane];
    for_each_chunk(&mut x, g.channels * plane, |n, image| {
        let image_cols = &cols[n * per_image..][..per_image];
        for row in 0..g.rows() {
            let (c, ky, kx) = g.row_parts(row);
            let (lo, hi, first) = g.span(kx);
            if hi == lo {
                continue;
            }
            let channel = &mut image[c * plane..][..plane];
            for oy in 0..g.out_height() {
                if let Some(iy) = g.input_row(ky, oy) {
                    let target = &mut channel[iy * g.width + first..][..hi - lo];
                    let source = &image_cols[row * positions + oy * ow + lo..][..hi - lo];
                    target.iter_mut().zip(source).for_each(|(t, s)| *t += s);
                }
            }
        }
    });
    x
}

/// Adds `bias[c]` to every value of channel c of `[batch, channels, positions]`, in place.
pub fn add_bias(y: &mut [f32], bias: &[f32], positions: usize) {
    let channels = bias.len();
    for_each_chunk(y, channels * positions, |_, image| {
        for (plane, b) in image.chunks_exact_mut(positions).zip(bias) {
            plane.iter_mut().for_each(|v| *v += b);
        }
    });
}

/// Per-channel sums of `[batch, channels, positions]`: the bias gradient.
pub fn channel_sums(dy: &[f32], channels: usize, positions: usize) -> Vec<f32> {
    let mut sums = vec![0.0f64; channels];
    for image in dy.chunks_exact(channels * positions) {
        for (plane, sum) in image.chunks_exact(positions).zip(&mut sums) {
            *sum += plane.iter().map(|&v| f64::from(v)).sum::<f64>();
        }
    }
    sums.into_iter().map(|s| s as f32).collect()
}

/// Shape of a 2×2, stride-2 max-pooling of `[planes, height, width]` (floor: an odd last row or
/// column is dropped).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolGeometry {
    /// Images × channels.
    pub planes: usize,
    /// Input height.
    pub height: usize,
    /// Input width.
    pub width: usize,
}

impl PoolGeometry {
    /// Output height.
    pub fn out_height(&self) -> usize {
        self.height / 2
    }

    /// Output width.
    pub fn out_width(&self) -> usize {
        self.width / 2
    }

    /// Offsets in the input plane of the four pixels under output (i, j), in the order ties
    /// are broken (the first maximum wins).
    fn window(&self, i: usize, j: usize) -> [usize; 4] {
        let top = 2 * i * self.width + 2 * j;
        [top, top + 1, top + self.width, top + self.width + 1]
    }
}

/// 2×2 max-pooling with stride 2.
pub fn max_pool(x: &[f32], g: PoolGeometry) -> Vec<f32> {
    let (oh, ow, plane) = (g.out_height(), g.out_width(), g.height * g.width);
    let mut y = vec![0.0; g.planes * oh * ow];
    for_each_chunk(&mut y, oh * ow, |p, out| {
        let input = &x[p * plane..][..plane];
        for i in 0..oh {
            for (j, v) in out[i * ow..][..ow].iter_mut().enumerate() {
                let [a, b, c, d] = g.window(i, j).map(|q| input[q]);
                *v = a.max(b).max(c.max(d));
            }
        }
    });
    y
}

/// The gradient of [`max_pool`]: each output gradient goes to the first maximum of its window.
pub fn max_pool_backward(x: &[f32], dy: &[f32], g: PoolGeometry) -> Vec<f32> {
    let (oh, ow, plane) = (g.out_height(), g.out_width(), g.height * g.width);
    let mut dx = vec![0.0; g.planes * plane];
    for_each_chunk(&mut dx, plane, |p, grad| {
        let input = &x[p * plane..][..plane];
        let out_grad = &dy[p * oh * ow..][..oh * ow];
        for i in 0..oh {
            for j in 0..ow {
                let window = g.window(i, j);
                let best = window[1..].iter().fold(window[0], |best, &q| {
                    if input[q] > input[best] { q } else { best }
                });
                grad[best] = out_grad[i * ow + j];
            }
        }
    });
    dx
}

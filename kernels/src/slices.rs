//! The kernels themselves, on plain `f32` slices in NCHW order: im2col / col2im for stride-1
//! convolutions, per-channel sums, and 2×2 max-pooling with its gradient.

#[cfg(feature = "parallel")]
use rayon::prelude::*;

/// Calls `body(index, chunk)` for each `size`-long chunk of `data`, on all threads when the
/// `parallel` feature is on.
pub(crate) fn for_each_chunk<F>(data: &mut [f32], size: usize, body: F)
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
    let image_len = g.channels * g.height * g.width;
    let mut cols = Vec::with_capacity(g.batch * g.rows() * g.positions());
    for image in x.chunks_exact(image_len).take(g.batch) {
        im2col_append(image, g, &mut cols);
    }
    cols
}

/// Appends the column matrix `[channels·k², positions]` of one image `[channels, height,
/// width]` to `cols`, each value written once (no zero-filling first).
pub fn im2col_append(image: &[f32], g: ConvGeometry, cols: &mut Vec<f32>) {
    let (ow, plane) = (g.out_width(), g.height * g.width);
    for row in 0..g.rows() {
        let (c, ky, kx) = g.row_parts(row);
        let (lo, hi, first) = g.span(kx);
        let input = &image[c * plane..][..plane];
        for oy in 0..g.out_height() {
            match g.input_row(ky, oy).filter(|_| hi > lo) {
                Some(iy) => {
                    cols.resize(cols.len() + lo, 0.0);
                    cols.extend_from_slice(&input[iy * g.width + first..][..hi - lo]);
                    cols.resize(cols.len() + ow - hi, 0.0);
                }
                None => cols.resize(cols.len() + ow, 0.0),
            }
        }
    }
}

/// `Σ_chunk body(chunk, out_chunk)` over the `chunk_len`-long chunks of `out` (which `body`
/// also writes), elementwise on vectors of `len`, on all threads when the `parallel` feature
/// is on.
#[cfg(feature = "autodiff")]
pub(crate) fn sum_over_output_chunks<F>(
    out: &mut [f32],
    chunk_len: usize,
    len: usize,
    body: F,
) -> Vec<f32>
where
    F: Fn(usize, &mut [f32]) -> Vec<f32> + Send + Sync,
{
    let add = |mut a: Vec<f32>, b: Vec<f32>| {
        a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
        a
    };
    #[cfg(feature = "parallel")]
    let sum = out
        .par_chunks_mut(chunk_len)
        .enumerate()
        .map(|(chunk, out_chunk)| body(chunk, out_chunk))
        .reduce(|| vec![0.0; len], add);
    #[cfg(not(feature = "parallel"))]
    let sum = out
        .chunks_mut(chunk_len)
        .enumerate()
        .map(|(chunk, out_chunk)| body(chunk, out_chunk))
        .fold(vec![0.0; len], add);
    sum
}

/// `[body(0), body(1), …]` for `chunks` indices, in order, on all threads when the `parallel`
/// feature is on.
#[cfg(feature = "autodiff")]
pub(crate) fn map_chunks<T, F>(chunks: usize, body: F) -> Vec<T>
where
    T: Send,
    F: Fn(usize) -> T + Send + Sync,
{
    #[cfg(feature = "parallel")]
    let parts = (0..chunks).into_par_iter().map(body).collect();
    #[cfg(not(feature = "parallel"))]
    let parts = (0..chunks).map(body).collect();
    parts
}

/// `Σ_chunk body(chunk)` over `chunks` indices, elementwise on vectors of `len`, on all threads
/// when the `parallel` feature is on (the weight gradient's partial sums).
#[cfg(feature = "autodiff")]
pub(crate) fn sum_over_chunks<F>(chunks: usize, len: usize, body: F) -> Vec<f32>
where
    F: Fn(usize) -> Vec<f32> + Send + Sync,
{
    let add = |mut a: Vec<f32>, b: Vec<f32>| {
        a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
        a
    };
    #[cfg(feature = "parallel")]
    let sum = (0..chunks)
        .into_par_iter()
        .map(body)
        .reduce(|| vec![0.0; len], add);
    #[cfg(not(feature = "parallel"))]
    let sum = (0..chunks).map(body).fold(vec![0.0; len], add);
    sum
}

/// The adjoint of [`im2col`]: sums each column-matrix entry back onto the input pixel it came
/// from, giving `[batch, channels, height, width]`.
pub fn col2im(cols: &[f32], g: ConvGeometry) -> Vec<f32> {
    let per_image = g.rows() * g.positions();
    let mut x = vec![0.0; g.batch * g.channels * g.height * g.width];
    for_each_chunk(&mut x, g.channels * g.height * g.width, |n, image| {
        col2im_image(&cols[n * per_image..][..per_image], g, image);
    });
    x
}

/// [`col2im`] of one image: adds its column matrix `[channels·k², positions]` onto `image`,
/// `[channels, height, width]`.
pub fn col2im_image(image_cols: &[f32], g: ConvGeometry, image: &mut [f32]) {
    let (positions, ow, plane) = (g.positions(), g.out_width(), g.height * g.width);
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

/// Per-channel sums of `[batch, channels, positions]`: the bias gradient (accumulated in f64).
pub fn channel_sums(dy: &[f32], channels: usize, positions: usize) -> Vec<f32> {
    let image_sums = |image: &[f32]| -> Vec<f64> {
        image
            .chunks_exact(positions)
            .map(|plane| plane.iter().map(|&v| f64::from(v)).sum())
            .collect()
    };
    let add = |mut a: Vec<f64>, b: Vec<f64>| {
        a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
        a
    };
    let images = dy.chunks_exact(channels * positions);
    #[cfg(feature = "parallel")]
    let sums = images
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(image_sums)
        .reduce(|| vec![0.0; channels], add);
    #[cfg(not(feature = "parallel"))]
    let sums = images.map(image_sums).fold(vec![0.0; channels], add);
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
}

/// 2×2 max-pooling with stride 2.
pub fn max_pool(x: &[f32], g: PoolGeometry) -> Vec<f32> {
    let (oh, ow, plane) = (g.out_height(), g.out_width(), g.height * g.width);
    let mut y = vec![0.0; g.planes * oh * ow];
    for_each_chunk(&mut y, oh * ow, |p, out| {
        let input = &x[p * plane..][..plane];
        for (i, out_row) in out.chunks_exact_mut(ow).enumerate() {
            let top = &input[2 * i * g.width..][..2 * ow];
            let bottom = &input[(2 * i + 1) * g.width..][..2 * ow];
            for ((v, t), b) in out_row
                .iter_mut()
                .zip(top.chunks_exact(2))
                .zip(bottom.chunks_exact(2))
            {
                *v = t[0].max(t[1]).max(b[0].max(b[1]));
            }
        }
    });
    y
}

/// Which of its window's four pixels (0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right)
/// won each output of [`max_pool`], the first maximum: written with the pooled values into
/// `out` and `winners` (one entry per output, planes in order).
pub fn max_pool_with_winners(x: &[f32], g: PoolGeometry, out: &mut [f32], winners: &mut [u8]) {
    let (oh, ow, plane) = (g.out_height(), g.out_width(), g.height * g.width);
    for p in 0..g.planes {
        let input = &x[p * plane..][..plane];
        for i in 0..oh {
            let (top, bottom) = (2 * i * g.width, (2 * i + 1) * g.width);
            for j in 0..ow {
                let (a, b) = (input[top + 2 * j], input[top + 2 * j + 1]);
                let (c, d) = (input[bottom + 2 * j], input[bottom + 2 * j + 1]);
                // Branch-free: the winner is data-dependent, a branch would mispredict often.
                let upper = (a.max(b), u8::from(b > a));
                let lower = (c.max(d), 2 + u8::from(d > c));
                let (value, winner) = if lower.0 > upper.0 { lower } else { upper };
                out[(p * oh + i) * ow + j] = value;
                winners[(p * oh + i) * ow + j] = winner;
            }
        }
    }
}

/// The gradient of [`max_pool_with_winners`]: each output gradient back on its window's
/// winner, zeros elsewhere, `[planes, height, width]`. Sequential: it is called on a few
/// images at a time.
pub fn unpool(dy: &[f32], winners: &[u8], g: PoolGeometry) -> Vec<f32> {
    let (oh, ow, plane) = (g.out_height(), g.out_width(), g.height * g.width);
    let mut dx = vec![0.0; g.planes * plane];
    for ((grad, out_grad), won) in dx
        .chunks_exact_mut(plane)
        .zip(dy.chunks_exact(oh * ow))
        .zip(winners.chunks_exact(oh * ow))
    {
        for i in 0..oh {
            for j in 0..ow {
                let winner = usize::from(won[i * ow + j]);
                let offset = (2 * i + winner / 2) * g.width + 2 * j + winner % 2;
                grad[offset] = out_grad[i * ow + j];
            }
        }
    }
    dx
}

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

/// Calls `body(index, a_chunk, b_chunk)` for the `size`-long chunks of `a` and `b` side by side,
/// on all threads when the `parallel` feature is on.
#[cfg(feature = "autodiff")]
pub(crate) fn for_each_chunk_pair<F>(a: &mut [f32], b: &mut [u8], size: usize, body: F)
where
    F: Fn(usize, &mut [f32], &mut [u8]) + Send + Sync,
{
    #[cfg(feature = "parallel")]
    a.par_chunks_mut(size)
        .zip(b.par_chunks_mut(size))
        .enumerate()
        .for_each(|(index, (a, b))| body(index, a, b));
    #[cfg(not(feature = "parallel"))]
    a.chunks_mut(size)
        .zip(b.chunks_mut(size))
        .enumerate()
        .for_each(|(index, (a, b))| body(index, a, b));
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
    let (image_len, per_image) = (g.channels * g.height * g.width, g.rows() * g.positions());
    let mut cols = vec![0.0; g.batch * per_image];
    for (image, image_cols) in x
        .chunks_exact(image_len)
        .zip(cols.chunks_exact_mut(per_image))
    {
        im2col_image(image, g, ColumnBlock::alone(g), image_cols);
    }
    cols
}

/// Where one image's column matrix `[channels·k², positions]` lies in a larger buffer: row r
/// starts at `r · row_stride + offset` (the column matrices of several images side by side,
/// `[rows, images · positions]`, so that one GEMM covers them all).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ColumnBlock {
    /// Distance between the starts of two rows.
    pub row_stride: usize,
    /// Where row 0 starts.
    pub offset: usize,
}

impl ColumnBlock {
    /// One image's columns stored alone, `[rows, positions]`.
    pub fn alone(g: ConvGeometry) -> Self {
        Self {
            row_stride: g.positions(),
            offset: 0,
        }
    }

    /// Image `index` of `count` side by side.
    pub fn side_by_side(g: ConvGeometry, index: usize, count: usize) -> Self {
        Self {
            row_stride: count * g.positions(),
            offset: index * g.positions(),
        }
    }

    /// The `positions` values of row `row` in `cols`.
    fn row<'a>(&self, cols: &'a [f32], row: usize, positions: usize) -> &'a [f32] {
        &cols[row * self.row_stride + self.offset..][..positions]
    }

    /// The same, writable.
    fn row_mut<'a>(&self, cols: &'a mut [f32], row: usize, positions: usize) -> &'a mut [f32] {
        &mut cols[row * self.row_stride + self.offset..][..positions]
    }
}

/// Writes the column matrix `[channels·k², positions]` of one image `[channels, height,
/// width]` at `block` of `cols`, every value (whatever was there is overwritten).
pub fn im2col_image(image: &[f32], g: ConvGeometry, block: ColumnBlock, cols: &mut [f32]) {
    let (ow, plane, positions) = (g.out_width(), g.height * g.width, g.positions());
    for row in 0..g.rows() {
        let (c, ky, kx) = g.row_parts(row);
        let (lo, hi, first) = g.span(kx);
        let input = &image[c * plane..][..plane];
        let row_cols = block.row_mut(cols, row, positions);
        for (oy, out) in row_cols.chunks_exact_mut(ow).enumerate() {
            match g.input_row(ky, oy).filter(|_| hi > lo) {
                Some(iy) => {
                    out[..lo].iter_mut().for_each(|v| *v = 0.0);
                    copy_short(&mut out[lo..hi], &input[iy * g.width + first..][..hi - lo]);
                    out[hi..].iter_mut().for_each(|v| *v = 0.0);
                }
                None => out.iter_mut().for_each(|v| *v = 0.0),
            }
        }
    }
}

/// `dst.copy_from_slice(src)` for the short rows of im2col (8 to 32 values in LeNet), as two
/// fixed-size moves that overlap when needed: a `memcpy` call per row cost more than the row
/// itself. No loop on purpose: the compiler turns a loop of block moves back into a call.
#[inline]
fn copy_short(dst: &mut [f32], src: &[f32]) {
    /// Moves `N` values at `at`.
    fn block<const N: usize>(dst: &mut [f32], src: &[f32], at: usize) {
        let target = dst
            .get_mut(at..at + N)
            .and_then(|d| <&mut [f32; N]>::try_from(d).ok());
        let source = src
            .get(at..at + N)
            .and_then(|s| <&[f32; N]>::try_from(s).ok());
        if let (Some(target), Some(source)) = (target, source) {
            *target = *source;
        }
    }
    let len = dst.len().min(src.len());
    match len {
        8..=16 => {
            block::<8>(dst, src, 0);
            block::<8>(dst, src, len - 8);
        }
        17..=32 => {
            block::<16>(dst, src, 0);
            block::<16>(dst, src, len - 16);
        }
        _ => dst[..len].copy_from_slice(&src[..len]),
    }
}

/// The elementwise sum of `parts` (vectors of `len`), added in their order: the same rounding
/// whichever thread computed each part and however rayon split the work, so that a run
/// repeats bit for bit (a resumed run must end as an uninterrupted one).
fn sum_in_order<T>(parts: Vec<Vec<T>>, len: usize) -> Vec<T>
where
    T: Copy + Default + std::ops::AddAssign,
{
    let mut sum = vec![T::default(); len];
    for part in parts {
        sum.iter_mut().zip(part).for_each(|(a, b)| *a += b);
    }
    sum
}

/// `Σ_chunk body(chunk, out_chunk)` over the `chunk_len`-long chunks of `out` (which `body`
/// also writes), elementwise on vectors of `len` and in chunk order, on all threads when the
/// `parallel` feature is on.
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
    #[cfg(feature = "parallel")]
    let parts = out
        .par_chunks_mut(chunk_len)
        .enumerate()
        .map(|(chunk, out_chunk)| body(chunk, out_chunk))
        .collect();
    #[cfg(not(feature = "parallel"))]
    let parts = out
        .chunks_mut(chunk_len)
        .enumerate()
        .map(|(chunk, out_chunk)| body(chunk, out_chunk))
        .collect();
    sum_in_order(parts, len)
}

/// `Σ_chunk body(chunk)` over `chunks` indices, elementwise on vectors of `len` and in chunk
/// order, on all threads when the `parallel` feature is on (the weight gradient's partial
/// sums).
#[cfg(feature = "autodiff")]
pub(crate) fn sum_over_chunks<F>(chunks: usize, len: usize, body: F) -> Vec<f32>
where
    F: Fn(usize) -> Vec<f32> + Send + Sync,
{
    #[cfg(feature = "parallel")]
    let parts = (0..chunks).into_par_iter().map(body).collect();
    #[cfg(not(feature = "parallel"))]
    let parts = (0..chunks).map(body).collect();
    sum_in_order(parts, len)
}

/// The adjoint of [`im2col`]: sums each column-matrix entry back onto the input pixel it came
/// from, giving `[batch, channels, height, width]`.
pub fn col2im(cols: &[f32], g: ConvGeometry) -> Vec<f32> {
    let per_image = g.rows() * g.positions();
    let mut x = vec![0.0; g.batch * g.channels * g.height * g.width];
    for_each_chunk(&mut x, g.channels * g.height * g.width, |n, image| {
        let image_cols = &cols[n * per_image..][..per_image];
        col2im_image(image_cols, g, ColumnBlock::alone(g), image);
    });
    x
}

/// [`col2im`] of one image: adds its column matrix `[channels·k², positions]`, at `block` of
/// `cols`, onto `image`, `[channels, height, width]`.
pub fn col2im_image(cols: &[f32], g: ConvGeometry, block: ColumnBlock, image: &mut [f32]) {
    let (positions, ow, plane) = (g.positions(), g.out_width(), g.height * g.width);
    for row in 0..g.rows() {
        let (c, ky, kx) = g.row_parts(row);
        let (lo, hi, first) = g.span(kx);
        if hi == lo {
            continue;
        }
        let channel = &mut image[c * plane..][..plane];
        let row_cols = block.row(cols, row, positions);
        for (oy, source) in row_cols.chunks_exact(ow).enumerate() {
            if let Some(iy) = g.input_row(ky, oy) {
                let target = &mut channel[iy * g.width + first..][..hi - lo];
                target
                    .iter_mut()
                    .zip(&source[lo..hi])
                    .for_each(|(t, s)| *t += s);
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

/// Per-channel sums of `[batch, channels, positions]`: the bias gradient (accumulated in f64,
/// images added in order).
pub fn channel_sums(dy: &[f32], channels: usize, positions: usize) -> Vec<f32> {
    let image_sums = |image: &[f32]| -> Vec<f64> {
        image
            .chunks_exact(positions)
            .map(|plane| plane.iter().map(|&v| f64::from(v)).sum())
            .collect()
    };
    #[cfg(feature = "parallel")]
    let parts = dy
        .par_chunks_exact(channels * positions)
        .map(image_sums)
        .collect();
    #[cfg(not(feature = "parallel"))]
    let parts = dy
        .chunks_exact(channels * positions)
        .map(image_sums)
        .collect();
    let sums = sum_in_order(parts, channels);
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
    let (pooled, plane) = (g.out_height() * g.out_width(), g.height * g.width);
    for ((input, out), won) in x
        .chunks_exact(plane)
        .zip(out.chunks_exact_mut(pooled))
        .zip(winners.chunks_exact_mut(pooled))
        .take(g.planes)
    {
        max_pool_plane(input, g, out, won);
    }
}

/// [`max_pool_with_winners`] of one `height × width` plane.
pub fn max_pool_plane(input: &[f32], g: PoolGeometry, out: &mut [f32], winners: &mut [u8]) {
    let ow = g.out_width();
    for (i, (out_row, won_row)) in out
        .chunks_exact_mut(ow)
        .zip(winners.chunks_exact_mut(ow))
        .take(g.out_height())
        .enumerate()
    {
        let top = &input[2 * i * g.width..][..2 * ow];
        let bottom = &input[(2 * i + 1) * g.width..][..2 * ow];
        for (((v, w), t), b) in out_row
            .iter_mut()
            .zip(won_row.iter_mut())
            .zip(top.chunks_exact(2))
            .zip(bottom.chunks_exact(2))
        {
            // Branch-free: the winner is data-dependent, a branch would mispredict often.
            let upper = (t[0].max(t[1]), u8::from(t[1] > t[0]));
            let lower = (b[0].max(b[1]), 2 + u8::from(b[1] > b[0]));
            let (value, winner) = if lower.0 > upper.0 { lower } else { upper };
            *v = value;
            *w = winner;
        }
    }
}

/// The gradient of [`max_pool_with_winners`]: each output gradient back on its window's
/// winner, zeros elsewhere, `[planes, height, width]`.
pub fn unpool(dy: &[f32], winners: &[u8], g: PoolGeometry) -> Vec<f32> {
    let (pooled, plane) = (g.out_height() * g.out_width(), g.height * g.width);
    let mut dx = vec![0.0; g.planes * plane];
    for ((grad, out_grad), won) in dx
        .chunks_exact_mut(plane)
        .zip(dy.chunks_exact(pooled))
        .zip(winners.chunks_exact(pooled))
    {
        unpool_plane(out_grad, won, g, grad);
    }
    dx
}

/// [`unpool`] of one plane: writes each output gradient on its window's winner in `grad`
/// (`height × width`, zeros expected elsewhere).
pub fn unpool_plane(dy: &[f32], winners: &[u8], g: PoolGeometry, grad: &mut [f32]) {
    let ow = g.out_width();
    for (i, (out_grad, won)) in dy
        .chunks_exact(ow)
        .zip(winners.chunks_exact(ow))
        .enumerate()
    {
        for (j, (&value, &winner)) in out_grad.iter().zip(won).enumerate() {
            let winner = usize::from(winner);
            grad[(2 * i + winner / 2) * g.width + 2 * j + winner % 2] = value;
        }
    }
}

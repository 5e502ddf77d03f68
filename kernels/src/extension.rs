//! The backend extension: the operations as a trait that burn's dispatch routes by backend,
//! implemented for `Flex` (burn's CPU backend) with the slice kernels and the `gemm` crate.

use burn::backend::flex::FlexTensor;
use burn::backend::ops::{ConvOptions, ModuleOps};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Flex, backend_extension};
use burn::tensor::{Shape, TensorData};

#[cfg(feature = "autodiff")]
use crate::gemm::{self, View};
#[cfg(feature = "autodiff")]
use crate::slices::ConvGeometry;
use crate::slices::{self, PoolGeometry};

/// Stride-1 convolution with bias and 2×2 max-pooling, computed by memlab's kernels.
#[cfg_attr(feature = "autodiff", backend_extension(Flex, Autodiff))]
#[cfg_attr(not(feature = "autodiff"), backend_extension(Flex))]
pub trait FastLayers: Backend {
    /// `conv2d(x, weight, bias)` with stride 1, dilation 1, one group and `padding` zeros on
    /// every side; `weight` is `[filters, channels, k, k]`.
    fn fast_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        padding: usize,
    ) -> FloatTensor<Self>;

    /// 2×2 max-pooling with stride 2 and no padding (floor).
    fn fast_max_pool2x2(x: FloatTensor<Self>) -> FloatTensor<Self>;

    /// `fast_max_pool2x2(fast_conv2d(x, weight, bias, padding))` in one pass: the
    /// convolution's output is pooled while in cache and never stored whole.
    fn fast_conv2d_pool2x2(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        padding: usize,
    ) -> FloatTensor<Self>;
}

/// The values of a float tensor, row-major (copied only when the tensor is a strided view).
pub(crate) fn values(tensor: &FlexTensor) -> Vec<f32> {
    match tensor.as_slice::<f32>() {
        Some(values) => values.to_vec(),
        None => tensor
            .to_contiguous()
            .into_data()
            .try_into_vec::<f32>()
            .unwrap_or_default(),
    }
}

/// Runs `body` on the values of `tensor` without copying when it is contiguous.
pub(crate) fn with_values<R>(tensor: &FlexTensor, body: impl FnOnce(&[f32]) -> R) -> R {
    match tensor.as_slice::<f32>() {
        Some(values) => body(values),
        None => body(&values(tensor)),
    }
}

/// A contiguous Flex tensor from values and a shape.
pub(crate) fn tensor(values: Vec<f32>, shape: &[usize]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, Shape::from(shape.to_vec())))
}

#[cfg(feature = "autodiff")]
/// The geometry of `fast_conv2d` from its operands' shapes.
pub(crate) fn conv_geometry(x: &FlexTensor, weight: &FlexTensor, padding: usize) -> ConvGeometry {
    let [batch, channels, height, width] = dims4(x);
    let [filters, _, kernel, _] = dims4(weight);
    ConvGeometry {
        batch,
        channels,
        height,
        width,
        filters,
        kernel,
        padding,
    }
}

pub(crate) fn dims4(tensor: &FlexTensor) -> [usize; 4] {
    let dims = tensor.layout().shape().to_vec();
    [dims[0], dims[1], dims[2], dims[3]]
}

/// The pooling geometry of `[batch, channels, height, width]`.
pub(crate) fn pool_geometry(x: &FlexTensor) -> PoolGeometry {
    let [batch, channels, height, width] = dims4(x);
    PoolGeometry {
        planes: batch * channels,
        height,
        width,
    }
}

/// Convolution forward for inference: Flex's own direct convolution, which needs no column
/// matrices (inference keeps its small memory and was faster this way).
pub(crate) fn conv_forward(
    x: FlexTensor,
    weight: FlexTensor,
    bias: FlexTensor,
    padding: usize,
) -> FlexTensor {
    let options = ConvOptions::new([1, 1], [padding, padding], [1, 1], 1);
    Flex::conv2d(x, weight, Some(bias), options)
}

/// Images whose column matrices are formed side by side and multiplied in one GEMM by one
/// task (under a megabyte for LeNet: they stay in cache, and no batch-sized column buffer is
/// ever allocated). LeNet trained within 3 % as fast with 4, 8 or 16.
#[cfg(feature = "autodiff")]
const IMAGES_PER_CHUNK: usize = 8;

/// Two buffers a task reuses from chunk to chunk (column matrices and a product), kept per
/// thread: sized once, then overwritten, never zero-filled or allocated again.
#[cfg(feature = "autodiff")]
fn with_scratch<R>(body: impl FnOnce(&mut Vec<f32>, &mut Vec<f32>) -> R) -> R {
    thread_local! {
        static SCRATCH: std::cell::RefCell<(Vec<f32>, Vec<f32>)> = const {
            std::cell::RefCell::new((Vec::new(), Vec::new()))
        };
    }
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut scratch) => {
            let (cols, product) = &mut *scratch;
            body(cols, product)
        }
        // Only if a kernel ever ran inside another on the same thread: fresh buffers then.
        Err(_) => body(&mut Vec::new(), &mut Vec::new()),
    })
}

/// The training kernels' view of a convolution: its geometry, input values and filters.
#[cfg(feature = "autodiff")]
#[derive(Clone, Copy)]
struct Conv<'a> {
    g: ConvGeometry,
    x: &'a [f32],
    /// The filters, `[filters, rows]` row-major.
    weight: &'a [f32],
}

#[cfg(feature = "autodiff")]
impl Conv<'_> {
    /// Values of one input image.
    fn image_len(&self) -> usize {
        self.g.channels * self.g.height * self.g.width
    }

    /// The chunk `chunk`: its first image and its number of images.
    fn chunk(&self, chunk: usize) -> (usize, usize) {
        let first = chunk * IMAGES_PER_CHUNK;
        (first, IMAGES_PER_CHUNK.min(self.g.batch - first))
    }

    /// The column matrices of images `first..first + count` side by side, `[rows, count ·
    /// positions]`, into `cols` (resized, then every value overwritten).
    fn columns(&self, first: usize, count: usize, cols: &mut Vec<f32>) {
        let (g, len) = (self.g, self.image_len());
        cols.resize(g.rows() * count * g.positions(), 0.0);
        for (i, image) in self.x[first * len..]
            .chunks_exact(len)
            .take(count)
            .enumerate()
        {
            let block = slices::ColumnBlock::side_by_side(g, i, count);
            slices::im2col_image(image, g, block, cols);
        }
    }

    /// The filters as a `[filters, rows]` matrix.
    fn filters(&self) -> View<'_> {
        View::row_major(self.weight, self.g.filters, self.g.rows())
    }

    /// The outputs (no bias) of images `first..first + count`, `[filters, count · positions]`
    /// (filter-major, the images side by side), into `product`, through `cols`.
    fn forward(&self, first: usize, count: usize, cols: &mut Vec<f32>, product: &mut Vec<f32>) {
        let width = count * self.g.positions();
        self.columns(first, count, cols);
        product.resize(self.g.filters * width, 0.0);
        let cols = View::row_major(cols, self.g.rows(), width);
        gemm::matmul(product, self.filters(), cols, false);
    }
}

#[cfg(feature = "autodiff")]
/// Convolution forward for training: per chunk of images, im2col and one GEMM.
pub(crate) fn conv_forward_gemm(
    x: &FlexTensor,
    weight: &FlexTensor,
    bias: &FlexTensor,
    g: ConvGeometry,
) -> FlexTensor {
    let positions = g.positions();
    let out_len = g.filters * positions;
    let mut y = vec![0.0; g.batch * out_len];
    with_values(x, |x| {
        with_values(weight, |weight| {
            let conv = Conv { g, x, weight };
            slices::for_each_chunk(&mut y, IMAGES_PER_CHUNK * out_len, |chunk, y_chunk| {
                let (first, count) = conv.chunk(chunk);
                with_scratch(|cols, product| {
                    conv.forward(first, count, cols, product);
                    // [filters, count, positions] → [count, filters, positions]
                    for (f, filter_out) in product.chunks_exact(count * positions).enumerate() {
                        for (i, plane) in filter_out.chunks_exact(positions).enumerate() {
                            let at = i * out_len + f * positions;
                            y_chunk[at..][..positions].copy_from_slice(plane);
                        }
                    }
                });
            });
        });
    });
    with_values(bias, |bias| slices::add_bias(&mut y, bias, positions));
    tensor(y, &[g.batch, g.filters, g.out_height(), g.out_width()])
}

#[cfg(feature = "autodiff")]
/// Convolution then 2×2 max-pooling for training, per chunk of images: the pooled output and
/// each output's winner in its window (for the backward pass, see [`slices::unpool_plane`]).
pub(crate) fn conv_pool_forward_gemm(
    x: &FlexTensor,
    weight: &FlexTensor,
    bias: &FlexTensor,
    g: ConvGeometry,
) -> (FlexTensor, Vec<u8>) {
    let pool = conv_pool_geometry(g);
    let positions = g.positions();
    let pooled_positions = pool.out_height() * pool.out_width();
    let pooled_len = g.filters * pooled_positions;
    let mut pooled = vec![0.0; g.batch * pooled_len];
    let mut winners = vec![0; g.batch * pooled_len];
    with_values(x, |x| {
        with_values(weight, |weight| {
            let conv = Conv { g, x, weight };
            let chunk_len = IMAGES_PER_CHUNK * pooled_len;
            slices::for_each_chunk_pair(
                &mut pooled,
                &mut winners,
                chunk_len,
                |chunk, out_chunk, won_chunk| {
                    let (first, count) = conv.chunk(chunk);
                    with_scratch(|cols, product| {
                        conv.forward(first, count, cols, product);
                        // Plane (filter f, image i) of the product pools into image i's plane f.
                        let planes = product.chunks_exact(positions).enumerate();
                        for (index, plane) in planes {
                            let (f, i) = (index / count, index % count);
                            let at = i * pooled_len + f * pooled_positions;
                            let out = &mut out_chunk[at..][..pooled_positions];
                            let won = &mut won_chunk[at..][..pooled_positions];
                            slices::max_pool_plane(plane, pool, out, won);
                        }
                    });
                },
            );
        });
    });
    // A channel's bias shifts its whole plane: added after pooling, it changes neither the
    // maxima's places nor their values, on a quarter of the outputs.
    with_values(bias, |bias| {
        slices::add_bias(&mut pooled, bias, pooled_positions)
    });
    let shape = [g.batch, g.filters, pool.out_height(), pool.out_width()];
    (tensor(pooled, &shape), winners)
}

#[cfg(feature = "autodiff")]
/// The pooling of one output plane of a convolution with geometry `g`.
pub(crate) fn conv_pool_geometry(g: ConvGeometry) -> PoolGeometry {
    PoolGeometry {
        planes: 1,
        height: g.out_height(),
        width: g.out_width(),
    }
}

#[cfg(feature = "autodiff")]
/// Convolution backward from the input, the weight and the output gradient: the gradients of
/// x (when asked), the weight and the bias.
pub(crate) fn conv_backward(
    x: &FlexTensor,
    weight: &FlexTensor,
    grad: &FlexTensor,
    g: ConvGeometry,
    want_x: bool,
) -> (Option<FlexTensor>, FlexTensor, FlexTensor) {
    let positions = g.positions();
    let out_len = g.filters * positions;
    with_values(grad, |dy| {
        let bias_grad = slices::channel_sums(dy, g.filters, positions);
        let (x_grad, weight_grad) =
            conv_backward_by_chunks(x, weight, g, want_x, |first, count, chunk_grad| {
                // [count, filters, positions] → [filters, count, positions]
                let images = dy[first * out_len..][..count * out_len].chunks_exact(out_len);
                for (i, image) in images.enumerate() {
                    for (f, plane) in image.chunks_exact(positions).enumerate() {
                        let at = (f * count + i) * positions;
                        chunk_grad[at..][..positions].copy_from_slice(plane);
                    }
                }
            });
        (x_grad, weight_grad, tensor(bias_grad, &[g.filters]))
    })
}

#[cfg(feature = "autodiff")]
/// The gradients of x (when asked) and of the weight, per chunk of images (the columns of x
/// rebuilt chunk by chunk), from `output_grad(first, count, chunk_grad)`, which writes the
/// output gradient of images `first..first + count` into `chunk_grad` (zeros when called) as
/// `[filters, count · positions]`: filter-major, the images side by side, as the forward
/// pass's product.
pub(crate) fn conv_backward_by_chunks<G>(
    x: &FlexTensor,
    weight: &FlexTensor,
    g: ConvGeometry,
    want_x: bool,
    output_grad: G,
) -> (Option<FlexTensor>, FlexTensor)
where
    G: Fn(usize, usize, &mut [f32]) + Sync,
{
    let (image_len, positions) = (g.channels * g.height * g.width, g.positions());
    let weight_len = g.filters * g.rows();
    let mut dx = vec![0.0; if want_x { g.batch * image_len } else { 0 }];
    let weight_grad = with_values(x, |x| {
        with_values(weight, |weight| {
            let conv = Conv { g, x, weight };
            // A chunk's output gradient dY gives its share of dW = dY · colsᵀ and its input
            // gradient col2im(Wᵀ · dY), written into `dx_chunk` (empty when x needs none).
            let chunk_grads = |chunk: usize, dx_chunk: &mut [f32]| {
                let (first, count) = conv.chunk(chunk);
                let width = count * positions;
                with_scratch(|cols, dy| {
                    dy.clear();
                    dy.resize(g.filters * width, 0.0);
                    output_grad(first, count, dy);
                    let dy = View::row_major(dy, g.filters, width);
                    conv.columns(first, count, cols);
                    let mut weight_grad = vec![0.0; weight_len];
                    let cols_t = View::row_major(cols, g.rows(), width).transposed();
                    gemm::matmul(&mut weight_grad, dy, cols_t, false);
                    if want_x {
                        // The columns' gradient reuses their buffer.
                        gemm::matmul(cols, conv.filters().transposed(), dy, false);
                        for (i, image) in dx_chunk.chunks_exact_mut(image_len).enumerate() {
                            let block = slices::ColumnBlock::side_by_side(g, i, count);
                            slices::col2im_image(cols, g, block, image);
                        }
                    }
                    weight_grad
                })
            };
            if want_x {
                let chunk_len = IMAGES_PER_CHUNK * image_len;
                slices::sum_over_output_chunks(&mut dx, chunk_len, weight_len, chunk_grads)
            } else {
                let chunks = g.batch.div_ceil(IMAGES_PER_CHUNK);
                slices::sum_over_chunks(chunks, weight_len, |chunk| chunk_grads(chunk, &mut []))
            }
        })
    });
    let weight_grad = tensor(weight_grad, &[g.filters, g.channels, g.kernel, g.kernel]);
    let x_grad = want_x.then(|| tensor(dx, &[g.batch, g.channels, g.height, g.width]));
    (x_grad, weight_grad)
}

/// Max-pooling forward.
pub(crate) fn pool_forward(x: &FlexTensor) -> FlexTensor {
    let g = pool_geometry(x);
    let [batch, channels, _, _] = dims4(x);
    tensor(
        with_values(x, |x| slices::max_pool(x, g)),
        &[batch, channels, g.out_height(), g.out_width()],
    )
}

#[cfg(feature = "autodiff")]
/// Max-pooling forward for training: the output and each output's winner in its window.
pub(crate) fn pool_forward_with_winners(x: &FlexTensor) -> (FlexTensor, Vec<u8>) {
    let g = pool_geometry(x);
    let [batch, channels, _, _] = dims4(x);
    let len = g.planes * g.out_height() * g.out_width();
    let (mut out, mut winners) = (vec![0.0; len], vec![0; len]);
    with_values(x, |x| {
        slices::max_pool_with_winners(x, g, &mut out, &mut winners);
    });
    let shape = [batch, channels, g.out_height(), g.out_width()];
    (tensor(out, &shape), winners)
}

impl FastLayers for Flex {
    fn fast_conv2d(
        x: FlexTensor,
        weight: FlexTensor,
        bias: FlexTensor,
        padding: usize,
    ) -> FlexTensor {
        conv_forward(x, weight, bias, padding)
    }

    fn fast_max_pool2x2(x: FlexTensor) -> FlexTensor {
        pool_forward(&x)
    }

    fn fast_conv2d_pool2x2(
        x: FlexTensor,
        weight: FlexTensor,
        bias: FlexTensor,
        padding: usize,
    ) -> FlexTensor {
        pool_forward(&conv_forward(x, weight, bias, padding))
    }
}

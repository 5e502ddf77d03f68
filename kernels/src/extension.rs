//! The backend extension: the operations as a trait that burn's dispatch routes by backend,
//! implemented for `Flex` (burn's CPU backend) with the slice kernels and Flex's own GEMM.

use burn::backend::flex::FlexTensor;
#[cfg(feature = "autodiff")]
use burn::backend::ops::FloatTensorOps;
use burn::backend::ops::{ConvOptions, ModuleOps};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Flex, backend_extension};
use burn::tensor::{Shape, TensorData};

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

/// Images whose column matrices are formed, multiplied and dropped together (a few hundred
/// kilobytes: they stay in cache, and no batch-sized column buffer is ever allocated).
#[cfg(feature = "autodiff")]
const IMAGES_PER_CHUNK: usize = 4;

/// The column matrices `[count, rows, positions]` of `count` images of `x` from `first`.
#[cfg(feature = "autodiff")]
fn columns(x: &[f32], g: ConvGeometry, first: usize, count: usize) -> FlexTensor {
    let image_len = g.channels * g.height * g.width;
    let mut cols = Vec::with_capacity(count * g.rows() * g.positions());
    for image in x[first * image_len..].chunks_exact(image_len).take(count) {
        slices::im2col_append(image, g, &mut cols);
    }
    tensor(cols, &[count, g.rows(), g.positions()])
}

#[cfg(feature = "autodiff")]
/// Convolution forward for training: im2col and a batched GEMM (Flex's) per chunk of images.
pub(crate) fn conv_forward_gemm(
    x: &FlexTensor,
    weight: &FlexTensor,
    bias: &FlexTensor,
    g: ConvGeometry,
) -> FlexTensor {
    let filters = weight.reshape(Shape::from(vec![1, g.filters, g.rows()]));
    let out_len = g.filters * g.positions();
    let mut y = vec![0.0; g.batch * out_len];
    with_values(x, |x| {
        slices::for_each_chunk(&mut y, IMAGES_PER_CHUNK * out_len, |chunk, y_chunk| {
            let count = y_chunk.len() / out_len;
            let cols = columns(x, g, chunk * IMAGES_PER_CHUNK, count);
            // [1, filters, rows] × [count, rows, positions] → [count, filters, positions]
            let product = Flex::float_matmul(filters.clone(), cols);
            with_values(&product, |p| y_chunk.copy_from_slice(p));
        });
    });
    with_values(bias, |bias| slices::add_bias(&mut y, bias, g.positions()));
    tensor(y, &[g.batch, g.filters, g.out_height(), g.out_width()])
}

#[cfg(feature = "autodiff")]
/// Convolution then 2×2 max-pooling for training, per chunk of images: the pooled output and
/// each output's winner in its window (for the backward pass, see [`slices::unpool`]).
pub(crate) fn conv_pool_forward_gemm(
    x: &FlexTensor,
    weight: &FlexTensor,
    bias: &FlexTensor,
    g: ConvGeometry,
) -> (FlexTensor, Vec<u8>) {
    let filters = weight.reshape(Shape::from(vec![1, g.filters, g.rows()]));
    let pool = PoolGeometry {
        planes: g.batch * g.filters,
        height: g.out_height(),
        width: g.out_width(),
    };
    let pooled_len = g.filters * pool.out_height() * pool.out_width();
    let chunks = g.batch.div_ceil(IMAGES_PER_CHUNK);
    let parts = with_values(x, |x| {
        with_values(bias, |bias| {
            slices::map_chunks(chunks, |chunk| {
                let first = chunk * IMAGES_PER_CHUNK;
                let count = IMAGES_PER_CHUNK.min(g.batch - first);
                let cols = columns(x, g, first, count);
                let product = Flex::float_matmul(filters.clone(), cols);
                let chunk_pool = PoolGeometry {
                    planes: count * g.filters,
                    ..pool
                };
                let mut out = vec![0.0; count * pooled_len];
                let mut winners = vec![0; count * pooled_len];
                with_values(&product, |y| {
                    slices::max_pool_with_winners(y, chunk_pool, &mut out, &mut winners);
                });
                // A channel's bias shifts its whole plane: added after pooling, it changes
                // neither the maxima's places nor their values, on a quarter of the outputs.
                let pooled_positions = pool.out_height() * pool.out_width();
                slices::add_bias(&mut out, bias, pooled_positions);
                (out, winners)
            })
        })
    });
    let mut pooled = Vec::with_capacity(g.batch * pooled_len);
    let mut winners = Vec::with_capacity(g.batch * pooled_len);
    for (out, won) in parts {
        pooled.extend_from_slice(&out);
        winners.extend_from_slice(&won);
    }
    let shape = [g.batch, g.filters, pool.out_height(), pool.out_width()];
    (tensor(pooled, &shape), winners)
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
    let grad = grad.reshape(Shape::from(vec![g.batch, g.filters, g.positions()]));
    let bias_grad = with_values(&grad, |dy| {
        slices::channel_sums(dy, g.filters, g.positions())
    });
    let (x_grad, weight_grad) = conv_backward_by_chunks(x, weight, g, want_x, |first, count| {
        grad.narrow(0, first, count)
    });
    (x_grad, weight_grad, tensor(bias_grad, &[g.filters]))
}

#[cfg(feature = "autodiff")]
/// The gradients of x (when asked) and of the weight, as GEMMs per chunk of images (the
/// columns of x rebuilt chunk by chunk), from `output_grad(first, count)`: the output
/// gradient `[count, filters, positions]` of those images, made as each chunk needs it.
pub(crate) fn conv_backward_by_chunks<G>(
    x: &FlexTensor,
    weight: &FlexTensor,
    g: ConvGeometry,
    want_x: bool,
    output_grad: G,
) -> (Option<FlexTensor>, FlexTensor)
where
    G: Fn(usize, usize) -> FlexTensor + Sync,
{
    let (image_len, per_image) = (g.channels * g.height * g.width, g.rows() * g.positions());
    let filters_t = weight
        .reshape(Shape::from(vec![1, g.filters, g.rows()]))
        .transpose(1, 2);
    // One pass over chunks: each chunk's output gradient dY is made once and gives both its
    // share of dW = Σ_n dY_n · cols_nᵀ and its input gradient col2im(Wᵀ · dY_n), written into
    // `dx_chunk` (empty when x needs no gradient).
    let chunk_grads = |x: &[f32], chunk: usize, dx_chunk: &mut [f32]| {
        let first = chunk * IMAGES_PER_CHUNK;
        let count = IMAGES_PER_CHUNK.min(g.batch - first);
        let dy = output_grad(first, count);
        if !dx_chunk.is_empty() {
            let col_grad = Flex::float_matmul(filters_t.clone(), dy.clone());
            with_values(&col_grad, |cols| {
                for (image_cols, image) in cols
                    .chunks_exact(per_image)
                    .zip(dx_chunk.chunks_exact_mut(image_len))
                {
                    slices::col2im_image(image_cols, g, image);
                }
            });
        }
        let cols = columns(x, g, first, count);
        let per_image = Flex::float_matmul(dy, cols.transpose(1, 2));
        values(&Flex::float_sum_dim(per_image, 0))
    };
    let weight_len = g.filters * g.rows();
    let mut dx = vec![0.0; if want_x { g.batch * image_len } else { 0 }];
    let weight_grad = with_values(x, |x| {
        if want_x {
            slices::sum_over_output_chunks(
                &mut dx,
                IMAGES_PER_CHUNK * image_len,
                weight_len,
                |chunk, dx_chunk| chunk_grads(x, chunk, dx_chunk),
            )
        } else {
            let chunks = g.batch.div_ceil(IMAGES_PER_CHUNK);
            slices::sum_over_chunks(chunks, weight_len, |chunk| chunk_grads(x, chunk, &mut []))
        }
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

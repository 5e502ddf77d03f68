//! memlab's own CPU kernels for the layers LeNet spends its time in: stride-1 convolution
//! (im2col + the `gemm` crate's GEMM, with its three gradients) and 2×2 max-pooling (with its gradient).
//!
//! [`conv2d`] and [`max_pool2d`] take a burn layer and its input and give exactly what the
//! layer's own `forward` gives: on a Flex device (with or without autodiff) and for a layer the
//! kernels cover, through the [`FastLayers`](extension::FastLayers) backend extension; on every
//! other device (WebGPU, CUDA, …) or layer shape, through burn's op. So a model that calls
//! them stays one definition for every backend.
//!
//! In detail:
//! memlab's own CPU kernels for the layers LeNet trains in: stride-1 convolution with bias,
//! 2×2 max-pooling, and the two **fused** (a convolution whose output is pooled while in cache),
//! as a burn **backend extension** (`extension.rs`: the `FastLayers` trait, routed by burn's
//! dispatch, implemented for `Flex`; `autodiff.rs`, feature `autodiff`: for `Autodiff<Flex>`,
//! each op recorded with its own backward step). `slices.rs` holds the arithmetic on plain
//! slices: im2col (every value written, rows copied by two fixed-size moves instead of a
//! `memcpy` call each) / col2im of one image at a `ColumnBlock` (its place among several
//! images' columns side by side), per-channel sums, pooling, and pooling that records each
//! window's winner (first maximum, picked without branches) with the unpooling that is its
//! gradient, per plane, parallel over images or chunks with rayon under feature `parallel`.
//! `gemm.rs` (feature `autodiff`): `matmul` into a caller's slice through the `gemm` crate (the
//! GEMM Flex itself calls), operands as bounds-checked strided `View`s (the third documented
//! `unsafe` exception: the one call, after the checks). Training convolution, **8 images at a
//! time**, their columns side by side `[rows, 8·positions]` in a per-thread scratch buffer
//! (under a megabyte for LeNet: it stays in cache; no batch-sized column buffer exists and none
//! is kept between passes): forward = im2col + one GEMM + bias [for the fused op: each product
//! plane pooled where it lies, with each window's winner, then the bias on the pooled values];
//! backward, one pass per chunk: its dY laid out as the forward's product (for the fused op,
//! unpooled plane by plane from the pooled gradient), dW = dY·colsᵀ in one GEMM (columns
//! rebuilt; the chunks' partial sums, like the bias gradient's, added in chunk order after the
//! parallel part, so the result does not depend on how rayon split the work), dX = col2im(Wᵀ·dY) (only when x needs a
//! gradient: not LeNet's
//! images); db = channel sums. Inference keeps Flex's direct
//! convolution (faster without columns). `lib.rs`'s `conv2d(layer, x)`, `max_pool2d(layer, x)`
//! and `conv2d_max_pool2d(conv, pool, x)` take the path only on a Flex device in f32 for layers
//! the kernels cover (stride, dilation and groups 1, square kernel, even padding, a bias; 2×2/2
//! floor pooling) and otherwise call the layers' own `forward`, so WebGPU, CUDA and other shapes
//! keep burn's ops (`conv2d_fast_padding`, `max_pool2d_is_fast`,
//! `conv2d_max_pool2d_fast_padding` say which). The server turns on `autodiff` and `parallel`;
//! the browser build neither. Tests (`tests/against_burn.rs`): im2col against its definition,
//! col2im as its adjoint, pooling and winners by hand (ties, odd sizes), and forward values and
//! the x, weight and bias gradients of each op against burn's own layers on Flex with and
//! without autodiff (LeNet's shapes, `Same`, over-padding, batches spanning several chunks, an
//! odd convolution output under the pooling), and the fallback for uncovered layers; each
//! asserts which path ran; `gemm.rs`'s own tests: products against the definition in f64 for
//! row-major and transposed views, accumulation, an empty inner dimension, and a view past its
//! slice refused. Why: burn-flex's convolution gradients (its generic path: a direct
//! convolution over the batch and a transposed convolution) and its pooling with indices were
//! most of a LeNet training step (`bench/RESULTS.md`).

#[cfg(feature = "autodiff")]
mod autodiff;
pub mod extension;
#[cfg(feature = "autodiff")]
pub mod gemm;
pub mod slices;

use burn::backend::{Dispatch, DispatchTensor};
use burn::module::Param;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::nn::pool::MaxPool2d;
use burn::prelude::*;
use burn::tensor::DType;

use extension::FastLayers;

/// Whether `x` lives where the kernels run: burn's Flex CPU backend, in f32, and (for a tensor
/// that tracks gradients) only when this crate was built with its `autodiff` feature.
fn on_fast_device(x: &Tensor<4>) -> bool {
    let device = x.device();
    let gradients_covered = cfg!(feature = "autodiff") || !device.is_autodiff();
    x.dtype() == DType::F32 && gradients_covered && device.inner() == Device::flex()
}

/// The zero padding of a stride-1 `layer` when it is the same on all four sides.
fn uniform_padding(layer: &Conv2d) -> Option<usize> {
    let kernel = layer.kernel_size[0];
    match layer.padding {
        PaddingConfig2d::Valid => Some(0),
        PaddingConfig2d::Same => (kernel % 2 == 1).then_some(kernel / 2),
        PaddingConfig2d::Explicit(a, b, c, d) => (a == b && b == c && c == d).then_some(a),
    }
}

/// The padding `conv2d` runs `layer` on `x` with through the kernels, or `None` when burn's op
/// runs it (another device or dtype, a stride, dilation or group count other than 1, a
/// rectangular kernel, uneven padding, or no bias).
pub fn conv2d_fast_padding(layer: &Conv2d, x: &Tensor<4>) -> Option<usize> {
    let covered = layer.stride == [1, 1]
        && layer.dilation == [1, 1]
        && layer.groups == 1
        && layer.kernel_size[0] == layer.kernel_size[1]
        && layer.bias.is_some();
    uniform_padding(layer).filter(|_| covered && on_fast_device(x))
}

/// A convolution-based kernel `op` (x, weight, bias, padding) of `FastLayers` on `layer`'s
/// parameters, through burn's dispatch.
fn through_kernels(
    op: fn(DispatchTensor, DispatchTensor, DispatchTensor, usize) -> DispatchTensor,
    layer: &Conv2d,
    bias: &Param<Tensor<1>>,
    x: Tensor<4>,
    padding: usize,
) -> Tensor<4> {
    let (weight, bias) = (
        layer.weight.val().into_dispatch(),
        bias.val().into_dispatch(),
    );
    Tensor::from_dispatch(op(x.into_dispatch(), weight, bias, padding))
}

/// `layer.forward(x)`, through memlab's kernels where they apply.
///
/// # Shapes
/// - x: `[batch, channels, height, width]`
/// - output: `[batch, filters, height', width']`
pub fn conv2d(layer: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    match (conv2d_fast_padding(layer, &x), &layer.bias) {
        (Some(padding), Some(bias)) => through_kernels(
            <Dispatch as FastLayers>::fast_conv2d,
            layer,
            bias,
            x,
            padding,
        ),
        _ => layer.forward(x),
    }
}

/// Whether the kernels cover `layer` on a `height × width` input: 2×2 windows, stride 2, no
/// padding, floor.
fn pool_covers(layer: &MaxPool2d, height: usize, width: usize) -> bool {
    // `Same` pads nothing for a 2×2 window with stride 2 on an even side.
    let unpadded = match layer.padding {
        PaddingConfig2d::Valid => true,
        PaddingConfig2d::Same => height.is_multiple_of(2) && width.is_multiple_of(2),
        PaddingConfig2d::Explicit(a, b, c, d) => a + b + c + d == 0,
    };
    layer.kernel_size == [2, 2]
        && layer.stride == [2, 2]
        && layer.dilation == [1, 1]
        && !layer.ceil_mode
        && unpadded
        && height >= 2
        && width >= 2
}

/// Whether `max_pool2d` runs `layer` on `x` through the kernels: 2×2 windows, stride 2, no
/// padding, floor, on the kernels' device.
pub fn max_pool2d_is_fast(layer: &MaxPool2d, x: &Tensor<4>) -> bool {
    let [_, _, height, width] = x.dims();
    pool_covers(layer, height, width) && on_fast_device(x)
}

/// `layer.forward(x)`, through memlab's kernels where [`max_pool2d_is_fast`].
///
/// # Shapes
/// - x: `[batch, channels, height, width]`
/// - output: `[batch, channels, height / 2, width / 2]`
pub fn max_pool2d(layer: &MaxPool2d, x: Tensor<4>) -> Tensor<4> {
    if max_pool2d_is_fast(layer, &x) {
        Tensor::from_dispatch(<Dispatch as FastLayers>::fast_max_pool2x2(
            x.into_dispatch(),
        ))
    } else {
        layer.forward(x)
    }
}

/// The padding `conv2d_max_pool2d` runs `conv` with in its fused kernel (the convolution's
/// output pooled while in cache), or `None` when it composes [`conv2d`] and [`max_pool2d`].
pub fn conv2d_max_pool2d_fast_padding(
    conv: &Conv2d,
    pool: &MaxPool2d,
    x: &Tensor<4>,
) -> Option<usize> {
    let [_, _, height, width] = x.dims();
    let kernel = conv.kernel_size[0];
    conv2d_fast_padding(conv, x).filter(|&padding| {
        let out = |side: usize| (side + 2 * padding + 1).saturating_sub(kernel);
        pool_covers(pool, out(height), out(width))
    })
}

/// `pool.forward(conv.forward(x))`, in one fused kernel where
/// [`conv2d_max_pool2d_fast_padding`] allows, else through [`conv2d`] and [`max_pool2d`].
///
/// # Shapes
/// - x: `[batch, channels, height, width]`
/// - output: `[batch, filters, height' / 2, width' / 2]`
pub fn conv2d_max_pool2d(conv: &Conv2d, pool: &MaxPool2d, x: Tensor<4>) -> Tensor<4> {
    match (conv2d_max_pool2d_fast_padding(conv, pool, &x), &conv.bias) {
        (Some(padding), Some(bias)) => through_kernels(
            <Dispatch as FastLayers>::fast_conv2d_pool2x2,
            conv,
            bias,
            x,
            padding,
        ),
        _ => max_pool2d(pool, conv2d(conv, x)),
    }
}

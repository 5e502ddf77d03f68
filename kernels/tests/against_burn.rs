//! The kernels against brute force and against burn's own layers: forward values and all
//! gradients, on Flex with and without autodiff, for the shapes LeNet uses and odd ones.

use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::prelude::*;
use burn::tensor::Distribution;
use memlab_kernels::slices::{self, ConvGeometry, PoolGeometry};

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .expect("f32 values")
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// A deterministic pseudo-random vector in [-1, 1).
fn noise(len: usize, seed: u64) -> Vec<f32> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

#[test]
fn im2col_matches_the_definition_and_col2im_is_its_adjoint() {
    for (g, seed) in [
        (
            ConvGeometry {
                batch: 2,
                channels: 2,
                height: 5,
                width: 4,
                filters: 1,
                kernel: 3,
                padding: 1,
            },
            1,
        ),
        (
            ConvGeometry {
                batch: 1,
                channels: 3,
                height: 6,
                width: 6,
                filters: 1,
                kernel: 5,
                padding: 0,
            },
            2,
        ),
        (
            ConvGeometry {
                batch: 2,
                channels: 1,
                height: 3,
                width: 3,
                filters: 1,
                kernel: 5,
                padding: 2,
            },
            3,
        ),
        (
            ConvGeometry {
                batch: 1,
                channels: 1,
                height: 2,
                width: 7,
                filters: 1,
                kernel: 3,
                padding: 3,
            },
            4,
        ),
    ] {
        let x = noise(g.batch * g.channels * g.height * g.width, seed);
        let cols = slices::im2col(&x, g);
        let (oh, ow, k, p) = (g.out_height(), g.out_width(), g.kernel, g.padding as isize);
        assert_eq!(cols.len(), g.batch * g.rows() * oh * ow);
        for n in 0..g.batch {
            for c in 0..g.channels {
                for ky in 0..k {
                    for kx in 0..k {
                        for oy in 0..oh {
                            for ox in 0..ow {
                                let iy = oy as isize + ky as isize - p;
                                let ix = ox as isize + kx as isize - p;
                                let inside = (0..g.height as isize).contains(&iy)
                                    && (0..g.width as isize).contains(&ix);
                                let expected = if inside {
                                    x[((n * g.channels + c) * g.height + iy as usize) * g.width
                                        + ix as usize]
                                } else {
                                    0.0
                                };
                                let row = (c * k + ky) * k + kx;
                                let got = cols[(n * g.rows() + row) * oh * ow + oy * ow + ox];
                                assert_eq!(
                                    got, expected,
                                    "{g:?} n{n} c{c} k({ky},{kx}) o({oy},{ox})"
                                );
                            }
                        }
                    }
                }
            }
        }
        // <im2col(x), c> = <x, col2im(c)> for any c.
        let c = noise(cols.len(), seed + 10);
        let left: f64 = cols.iter().zip(&c).map(|(a, b)| f64::from(a * b)).sum();
        let back = slices::col2im(&c, g);
        let right: f64 = x.iter().zip(&back).map(|(a, b)| f64::from(a * b)).sum();
        assert!(
            (left - right).abs() < 1e-4 * (1.0 + left.abs()),
            "{left} vs {right}"
        );
    }
}

#[test]
fn pooling_by_hand() {
    // One 3×5 plane: the last row and column are dropped (floor); the first maximum of a tie
    // gets the gradient.
    let x = [
        1.0, 5.0, 2.0, 2.0, 9.0, //
        3.0, 4.0, 0.0, 1.0, 9.0, //
        7.0, 7.0, 7.0, 7.0, 7.0,
    ];
    let g = PoolGeometry {
        planes: 1,
        height: 3,
        width: 5,
    };
    assert_eq!(slices::max_pool(&x, g), vec![5.0, 2.0]);
    let (mut pooled, mut winners) = (vec![0.0; 2], vec![0; 2]);
    slices::max_pool_with_winners(&x, g, &mut pooled, &mut winners);
    assert_eq!(pooled, vec![5.0, 2.0]);
    let dx = slices::unpool(&[10.0, 20.0], &winners, g);
    let mut expected = [0.0; 15];
    expected[1] = 10.0;
    expected[2] = 20.0;
    assert_eq!(dx, expected);
    assert_eq!(
        slices::channel_sums(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], 2, 2),
        vec![14.0, 22.0]
    );
}

/// The gradients of Σ r ⊙ y (r on y's device): what any loss sends back through y = layer(x).
fn weighted_sum_gradients(y: Tensor<4>, r: &Tensor<4>) -> burn::tensor::Gradients {
    let weights = Tensor::from_data(r.to_data(), &y.device());
    (y * weights).sum().backward()
}

/// Asserts that `fast` gives the gradients `reference` gives of Σ r ⊙ f(x) with respect to x
/// (on an autodiff device), `layer`'s weight and its bias.
fn assert_same_gradients(
    layer: &Conv2d,
    x: &Tensor<4>,
    r: &Tensor<4>,
    reference: impl Fn(Tensor<4>) -> Tensor<4>,
    fast: impl Fn(Tensor<4>) -> Tensor<4>,
    label: &str,
) {
    let grads_of = |f: &dyn Fn(Tensor<4>) -> Tensor<4>| {
        let x = x.clone().require_grad();
        let grads = weighted_sum_gradients(f(x.clone()), r);
        let bias = layer.bias.as_ref().expect("bias").val();
        [
            values(x.grad(&grads).expect("x grad")),
            values(layer.weight.val().grad(&grads).expect("weight grad")),
            values(bias.grad(&grads).expect("bias grad")),
        ]
    };
    let (expected, got) = (grads_of(&reference), grads_of(&fast));
    // Weight and bias gradients are sums over the whole batch: a looser absolute tolerance.
    for ((name, tolerance), (e, g)) in [("x", 1e-4), ("weight", 1e-3), ("bias", 1e-3)]
        .into_iter()
        .zip(expected.iter().zip(&got))
    {
        assert!(max_abs_diff(e, g) < tolerance, "{name} gradient, {label}");
    }
}

/// Standard normal values of `shape` on `device`.
fn normal(shape: [usize; 4], device: &Device) -> Tensor<4> {
    Tensor::random(shape, Distribution::Normal(0.0, 1.0), device)
}

fn conv_layer(
    device: &Device,
    channels: usize,
    filters: usize,
    kernel: usize,
    padding: PaddingConfig2d,
) -> Conv2d {
    Conv2dConfig::new([channels, filters], [kernel, kernel])
        .with_padding(padding)
        .init(device)
}

#[test]
fn convolution_equals_burns_forward_and_gradients() {
    let device = Device::flex();
    let autodiff = Device::flex().autodiff();
    for (batch, channels, side, filters, kernel, padding) in [
        (3, 1, 28, 6, 5, PaddingConfig2d::Explicit(2, 2, 2, 2)),
        (2, 6, 14, 16, 5, PaddingConfig2d::Valid),
        (2, 3, 9, 4, 3, PaddingConfig2d::Same),
        (1, 2, 4, 3, 5, PaddingConfig2d::Explicit(3, 3, 3, 3)),
        // More images than one chunk of the backward pass, and not a multiple of it.
        (19, 2, 6, 3, 3, PaddingConfig2d::Explicit(1, 1, 1, 1)),
    ] {
        let tracked = conv_layer(&autodiff, channels, filters, kernel, padding.clone());
        let (layer, x) = (
            tracked.valid(),
            normal([batch, channels, side, side], &device),
        );
        let expected_padding = match padding {
            PaddingConfig2d::Explicit(p, ..) => p,
            PaddingConfig2d::Same => kernel / 2,
            PaddingConfig2d::Valid => 0,
        };
        assert_eq!(
            memlab_kernels::conv2d_fast_padding(&layer, &x),
            Some(expected_padding)
        );
        let expected = values(layer.forward(x.clone()));
        let got = values(memlab_kernels::conv2d(&layer, x.clone()));
        assert!(max_abs_diff(&expected, &got) < 1e-4, "forward {padding:?}");

        // Gradients of Σ r ⊙ conv(x) with respect to x, the weight and the bias.
        let r = Tensor::<4>::random(
            layer.forward(x.clone()).shape(),
            Distribution::Normal(0.0, 1.0),
            &device,
        );
        let x = Tensor::<4>::from_data(x.to_data(), &autodiff);
        // Without the `autodiff` feature, tracked tensors take burn's path.
        let fast_path = memlab_kernels::conv2d_fast_padding(&tracked, &x.clone().require_grad());
        assert_eq!(fast_path.is_some(), cfg!(feature = "autodiff"));
        assert_same_gradients(
            &tracked,
            &x,
            &r,
            |x| tracked.forward(x),
            |x| memlab_kernels::conv2d(&tracked, x),
            &format!("{padding:?}"),
        );
    }
}

#[test]
fn untracked_input_still_gives_weight_gradients() {
    // LeNet's first layer: the images need no gradient, the weights do.
    let autodiff = Device::flex().autodiff();
    let layer = conv_layer(&autodiff, 1, 2, 3, PaddingConfig2d::Explicit(1, 1, 1, 1));
    let x = Tensor::<4>::random([2, 1, 6, 6], Distribution::Normal(0.0, 1.0), &autodiff);
    let reference = layer.forward(x.clone()).sum().backward();
    let fast = memlab_kernels::conv2d(&layer, x).sum().backward();
    let weight = layer.weight.val();
    let diff = max_abs_diff(
        &values(weight.grad(&reference).expect("reference")),
        &values(weight.grad(&fast).expect("fast")),
    );
    assert!(diff < 1e-4);
}

#[test]
fn pooling_equals_burns_forward_and_gradient() {
    let device = Device::flex();
    let autodiff = Device::flex().autodiff();
    let layer: MaxPool2d = MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init();
    for (shape, seed) in [([4, 6, 28, 28], 5), ([2, 3, 7, 9], 6)] {
        // Distinct values: no ties, so the gradient's destination is unique.
        let len: usize = shape.iter().product();
        let x = Tensor::<4>::from_data(TensorData::new(noise(len, seed), shape), &device);
        assert!(memlab_kernels::max_pool2d_is_fast(&layer, &x));
        assert_eq!(
            values(layer.forward(x.clone())),
            values(memlab_kernels::max_pool2d(&layer, x.clone()))
        );
        let r = Tensor::<4>::random(
            layer.forward(x.clone()).shape(),
            Distribution::Normal(0.0, 1.0),
            &device,
        );
        let grad_of = |fast: bool| {
            let x = Tensor::<4>::from_data(x.to_data(), &autodiff).require_grad();
            let fast_path = memlab_kernels::max_pool2d_is_fast(&layer, &x);
            assert_eq!(fast_path, cfg!(feature = "autodiff"));
            let y = if fast {
                memlab_kernels::max_pool2d(&layer, x.clone())
            } else {
                layer.forward(x.clone())
            };
            let grads = weighted_sum_gradients(y, &r);
            values(x.grad(&grads).expect("x grad"))
        };
        assert_eq!(grad_of(false), grad_of(true), "{shape:?}");
    }
}

#[test]
fn layers_the_kernels_do_not_cover_fall_back_to_burn() {
    let device = Device::flex();
    let strided = Conv2dConfig::new([2, 3], [3, 3])
        .with_stride([2, 2])
        .init(&device);
    let no_bias = Conv2dConfig::new([2, 3], [3, 3])
        .with_bias(false)
        .init(&device);
    let x = Tensor::<4>::random([1, 2, 8, 8], Distribution::Normal(0.0, 1.0), &device);
    for layer in [strided, no_bias] {
        assert_eq!(memlab_kernels::conv2d_fast_padding(&layer, &x), None);
        assert_eq!(
            values(layer.forward(x.clone())),
            values(memlab_kernels::conv2d(&layer, x.clone()))
        );
    }
    let pool3: MaxPool2d = MaxPool2dConfig::new([3, 3]).init();
    assert!(!memlab_kernels::max_pool2d_is_fast(&pool3, &x));
    assert_eq!(
        values(pool3.forward(x.clone())),
        values(memlab_kernels::max_pool2d(&pool3, x))
    );
}

#[test]
fn fused_convolution_and_pooling_equal_burns_layers() {
    let device = Device::flex();
    let autodiff = Device::flex().autodiff();
    let pool: MaxPool2d = MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init();
    for (batch, channels, side, filters, kernel, padding) in [
        (9, 1, 28, 6, 5, PaddingConfig2d::Explicit(2, 2, 2, 2)),
        (6, 6, 14, 16, 5, PaddingConfig2d::Valid),
        // An odd convolution output (7×7): the last row and column are dropped.
        (5, 2, 9, 3, 3, PaddingConfig2d::Valid),
    ] {
        let tracked = conv_layer(&autodiff, channels, filters, kernel, padding.clone());
        let (layer, x) = (
            tracked.valid(),
            normal([batch, channels, side, side], &device),
        );
        assert!(memlab_kernels::conv2d_max_pool2d_fast_padding(&layer, &pool, &x).is_some());
        let reference = pool.forward(layer.forward(x.clone()));
        let fused = memlab_kernels::conv2d_max_pool2d(&layer, &pool, x.clone());
        assert!(max_abs_diff(&values(reference.clone()), &values(fused)) < 1e-4);

        let r = Tensor::<4>::random(reference.shape(), Distribution::Normal(0.0, 1.0), &device);
        let x = Tensor::<4>::from_data(x.to_data(), &autodiff);
        let fast_path = memlab_kernels::conv2d_max_pool2d_fast_padding(
            &tracked,
            &pool,
            &x.clone().require_grad(),
        );
        assert_eq!(fast_path.is_some(), cfg!(feature = "autodiff"));
        assert_same_gradients(
            &tracked,
            &x,
            &r,
            |x| pool.forward(tracked.forward(x)),
            |x| memlab_kernels::conv2d_max_pool2d(&tracked, &pool, x),
            &format!("{padding:?}"),
        );
    }
}

#[test]
fn pooling_winners_by_hand() {
    // Window order: top-left 0, top-right 1, bottom-left 2, bottom-right 3; ties: the first.
    let x = [
        1.0, 5.0, 2.0, 2.0, 0.0, 0.0, //
        3.0, 4.0, 0.0, 1.0, 0.0, 9.0,
    ];
    let g = PoolGeometry {
        planes: 1,
        height: 2,
        width: 6,
    };
    let (mut out, mut winners) = (vec![0.0; 3], vec![0; 3]);
    slices::max_pool_with_winners(&x, g, &mut out, &mut winners);
    assert_eq!(out, vec![5.0, 2.0, 9.0]);
    assert_eq!(winners, vec![1, 0, 3]);
    let dx = slices::unpool(&[10.0, 20.0, 30.0], &winners, g);
    assert_eq!(
        dx,
        vec![
            0.0, 10.0, 20.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 30.0
        ]
    );
}

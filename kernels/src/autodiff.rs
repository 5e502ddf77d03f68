//! Gradients through the fast kernels: `FastLayers` for `Autodiff<Flex>`, each operation
//! recorded with a backward step that calls the same kernels.

use burn::backend::Autodiff;
use burn::backend::Flex;
use burn::backend::autodiff::NodeId;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;

use crate::extension::{self, FastLayers};
use std::sync::Arc;

use crate::slices::{self, ConvGeometry, PoolGeometry};

/// Adds each gradient to its tracked parent (a parent that is not tracked gets none).
fn register(grads: &mut Gradients, parents: [Option<NodeId>; 3], values: [Option<FlexTensor>; 3]) {
    for (parent, value) in parents.into_iter().zip(values) {
        if let (Some(id), Some(value)) = (parent, value) {
            grads.register::<Flex>(id, value);
        }
    }
}

/// Backward step of the convolution; the state is (input, weight, geometry).
#[derive(Debug)]
struct ConvBackward;

impl Backward<Flex, 3> for ConvBackward {
    type State = (FlexTensor, FlexTensor, ConvGeometry);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let parents = ops.parents.map(|parent| parent.map(|node| node.id));
        let grad = grads.consume::<Flex>(&ops.node);
        let (x, weight, g) = ops.state;
        let (x_grad, weight_grad, bias_grad) =
            extension::conv_backward(&x, &weight, &grad, g, parents[0].is_some());
        register(grads, parents, [x_grad, Some(weight_grad), Some(bias_grad)]);
    }
}

/// Backward step of the fused convolution and pooling; the state is (input, weight, each
/// pooled output's winner, geometry).
#[derive(Debug)]
struct ConvPoolBackward;

impl Backward<Flex, 3> for ConvPoolBackward {
    type State = (FlexTensor, FlexTensor, Arc<Vec<u8>>, ConvGeometry);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let parents = ops.parents.map(|parent| parent.map(|node| node.id));
        let grad = grads.consume::<Flex>(&ops.node);
        let (x, weight, winners, g) = ops.state;
        let pool = extension::conv_pool_geometry(g);
        let pooled_positions = pool.out_height() * pool.out_width();
        let (positions, pooled_len) = (g.positions(), g.filters * pooled_positions);
        // The convolution's output gradient is unpooled chunk by chunk, as the kernels need it:
        // image i's pooled plane f goes to plane (f, i) of the chunk's gradient.
        let (x_grad, weight_grad) = extension::with_values(&grad, |dy| {
            let output_grad = |first: usize, count: usize, chunk_grad: &mut [f32]| {
                for (index, plane) in chunk_grad.chunks_exact_mut(positions).enumerate() {
                    let (f, i) = (index / count, index % count);
                    let at = (first + i) * pooled_len + f * pooled_positions;
                    let (out_grad, won) = (
                        &dy[at..][..pooled_positions],
                        &winners[at..][..pooled_positions],
                    );
                    slices::unpool_plane(out_grad, won, pool, plane);
                }
            };
            extension::conv_backward_by_chunks(&x, &weight, g, parents[0].is_some(), output_grad)
        });
        // Unpooling moves each gradient without changing it: the same channel sums.
        let bias_grad = extension::with_values(&grad, |dy| {
            slices::channel_sums(dy, g.filters, pool.out_height() * pool.out_width())
        });
        let bias_grad = extension::tensor(bias_grad, &[g.filters]);
        register(grads, parents, [x_grad, Some(weight_grad), Some(bias_grad)]);
    }
}

/// Backward step of the max-pooling; the state is (each output's winner, the input's
/// geometry).
#[derive(Debug)]
struct PoolBackward;

impl Backward<Flex, 1> for PoolBackward {
    type State = (Arc<Vec<u8>>, PoolGeometry, [usize; 4]);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [x_node] = ops.parents;
        let grad = grads.consume::<Flex>(&ops.node);
        let (winners, g, shape) = ops.state;
        if let Some(node) = x_node {
            let dx = extension::with_values(&grad, |dy| slices::unpool(dy, &winners, g));
            grads.register::<Flex>(node.id, extension::tensor(dx, &shape));
        }
    }
}

impl<C: CheckpointStrategy> FastLayers for Autodiff<Flex, C> {
    fn fast_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        padding: usize,
    ) -> FloatTensor<Self> {
        record_conv::<C, _>(
            ConvBackward,
            [x, weight, bias],
            padding,
            |x, weight, bias, g| {
                let y = extension::conv_forward_gemm(&x, &weight, &bias, g);
                ((x, weight, g), y)
            },
        )
    }

    fn fast_max_pool2x2(x: FloatTensor<Self>) -> FloatTensor<Self> {
        let (x, x_node) = x.into_parts();
        match PoolBackward
            .prepare::<C>([x_node])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (y, winners) = extension::pool_forward_with_winners(&x);
                let shape = extension::dims4(&x);
                prep.finish((Arc::new(winners), extension::pool_geometry(&x), shape), y)
            }
            OpsKind::UnTracked(prep) => prep.finish(extension::pool_forward(&x)),
        }
    }

    fn fast_conv2d_pool2x2(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        padding: usize,
    ) -> FloatTensor<Self> {
        record_conv::<C, _>(
            ConvPoolBackward,
            [x, weight, bias],
            padding,
            |x, weight, bias, g| {
                let (y, winners) = extension::conv_pool_forward_gemm(&x, &weight, &bias, g);
                ((x, weight, Arc::new(winners), g), y)
            },
        )
    }
}

/// Records a convolution-based op `op` on (x, weight, bias): when tracked, `tracked` computes
/// the output and the backward state; untracked, Flex's direct convolution (then pooling, for
/// the fused op) gives the output.
fn record_conv<C, B>(
    op: B,
    [x, weight, bias]: [FloatTensor<Autodiff<Flex, C>>; 3],
    padding: usize,
    tracked: impl FnOnce(FlexTensor, FlexTensor, FlexTensor, ConvGeometry) -> (B::State, FlexTensor),
) -> FloatTensor<Autodiff<Flex, C>>
where
    C: CheckpointStrategy,
    B: Backward<Flex, 3> + Pooling,
{
    let (x, x_node) = x.into_parts();
    let (weight, weight_node) = weight.into_parts();
    let (bias, bias_node) = bias.into_parts();
    let g = extension::conv_geometry(&x, &weight, padding);
    match op
        .prepare::<C>([x_node, weight_node, bias_node])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => {
            let (state, y) = tracked(x, weight, bias, g);
            prep.finish(state, y)
        }
        OpsKind::UnTracked(prep) => {
            let y = extension::conv_forward(x, weight, bias, padding);
            prep.finish(if B::POOLED {
                extension::pool_forward(&y)
            } else {
                y
            })
        }
    }
}

/// Whether a convolution-based op pools its output.
trait Pooling {
    /// True for the fused convolution and pooling.
    const POOLED: bool;
}

impl Pooling for ConvBackward {
    const POOLED: bool = false;
}

impl Pooling for ConvPoolBackward {
    const POOLED: bool = true;
}

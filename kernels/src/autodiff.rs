//! Gradients through the fast kernels: `FastLayers` for `Autodiff<Flex>`, each operation
//! recorded with a backward step that calls the same kernels.

use burn::backend::Autodiff;
use burn::backend::Flex;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;

use crate::extension::{self, FastLayers};
use crate::slices::ConvGeometry;

/// Backward step of the convolution; the state is (input, weight, geometry).
#[derive(Debug)]
struct ConvBackward;

impl Backward<Flex, 3> for ConvBackward {
    type State = (FlexTensor, FlexTensor, ConvGeometry);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [x_node, weight_node, bias_node] = ops.parents;
        let grad = grads.consume::<Flex>(&ops.node);
        let (x, weight, g) = ops.state;
        let (x_grad, weight_grad, bias_grad) =
            extension::conv_backward(&x, &weight, &grad, g, x_node.is_some());
        if let (Some(node), Some(x_grad)) = (x_node, x_grad) {
            grads.register::<Flex>(node.id, x_grad);
        }
        if let Some(node) = weight_node {
            grads.register::<Flex>(node.id, weight_grad);
        }
        if let Some(node) = bias_node {
            grads.register::<Flex>(node.id, bias_grad);
        }
    }
}

/// Backward step of the max-pooling; the state is its input.
#[derive(Debug)]
struct PoolBackward;

impl Backward<Flex, 1> for PoolBackward {
    type State = FlexTensor;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [x_node] = ops.parents;
        let grad = grads.consume::<Flex>(&ops.node);
        if let Some(node) = x_node {
            grads.register::<Flex>(node.id, extension::pool_backward(&ops.state, &grad));
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
        let (x, x_node) = x.into_parts();
        let (weight, weight_node) = weight.into_parts();
        let (bias, bias_node) = bias.into_parts();
        let g = extension::conv_geometry(&x, &weight, padding);
        match ConvBackward
            .prepare::<C>([x_node, weight_node, bias_node])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let y = extension::conv_forward_gemm(&x, &weight, &bias, g);
                prep.finish((x, weight, g), y)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(extension::conv_forward(x, weight, bias, padding))
            }
        }
    }

    fn fast_max_pool2x2(x: FloatTensor<Self>) -> FloatTensor<Self> {
        let (x, x_node) = x.into_parts();
        match PoolBackward
            .prepare::<C>([x_node])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let y = extension::pool_forward(&x);
                prep.finish(x, y)
            }
            OpsKind::UnTracked(prep) => prep.finish(extension::pool_forward(&x)),
        }
    }
}

//! How a candidate edit is judged: on held-out training images, the share that keeps what L
//! must keep, the mean change and the splitter's flips; scored only, on test images of a data set
//! with a ground truth, the oracles' toggle rate and identity kept.

use burn::prelude::*;
use memlab_shared::symmetry::SymmetryMode;

use super::search::{CHUNK, Edit, Editor, Oracles};
use crate::data::Split;
use crate::probes::{agreement, row_argmax};
use crate::symmetry::discovery::Splitter;
use crate::symmetry::{SymmetryInput, normalize, pixels_tensor, rms, rows};

/// On the images `indices` of `train`: the fraction whose kept quantity survives the edit, the
/// mean RMS change, and the splitter's flip rate.
pub(super) fn judge(
    input: &SymmetryInput,
    editor: &Editor,
    edit: &Edit,
    train: &Split,
    indices: &[usize],
    groups: &[usize],
    splitter: Option<(&Splitter, &[bool])>,
) -> (f64, f64, Option<f64>) {
    let spec = &input.dataset.info.input;
    let classes = input.dataset.info.class_names.len();
    let (mut kept, mut change, mut flipped) = (0usize, 0.0, 0usize);
    for chunk in indices.chunks(CHUNK) {
        let x = pixels_tensor(train, spec, chunk, input.device);
        let chunk_groups: Vec<usize> = chunk.iter().map(|&i| groups[i]).collect();
        let moved = editor.apply(edit, x.clone(), &chunk_groups);
        change += rms(moved.clone(), x.clone())
            .into_data()
            .iter::<f32>()
            .map(f64::from)
            .sum::<f64>();
        let predicted = |images: Tensor<4>| match (input.mode, input.label_model) {
            (SymmetryMode::FromLabels, Some(label_model)) => {
                row_argmax(&rows(label_model.logits(images)), classes)
            }
            _ => row_argmax(&rows(input.model.forward(normalize(images, spec))), classes),
        };
        let wanted: Vec<usize> = match input.mode {
            SymmetryMode::FromLabels => chunk
                .iter()
                .map(|&i| usize::from(train.labels[i]))
                .collect(),
            SymmetryMode::FromPhi => predicted(x.clone()),
        };
        let after = predicted(moved.clone());
        kept += after.iter().zip(&wanted).filter(|(a, b)| a == b).count();
        if let Some((splitter, _)) = splitter {
            let before = splitter.probability(x).into_data();
            let after = splitter.probability(moved).into_data();
            flipped += before
                .iter::<f32>()
                .zip(after.iter::<f32>())
                .filter(|(a, b)| (*a > 0.5) != (*b > 0.5))
                .count();
        }
    }
    let n = indices.len().max(1) as f64;
    (
        kept as f64 / n,
        change / n,
        splitter.map(|_| flipped as f64 / n),
    )
}

/// Scored only, on the edited test images `indices`: the glasses oracle's toggle rate (overall,
/// on → off, off → on) and the identity oracle's agreement with the true identity.
pub(super) fn oracle_scores(
    input: &SymmetryInput,
    editor: &Editor,
    edit: &Edit,
    indices: &[usize],
    groups: &[usize],
    oracles: &Oracles,
) -> (f64, f64, f64, f64) {
    let spec = &input.dataset.info.input;
    let test = &input.dataset.test;
    let identities = oracles.config.identity_list();
    let (mut seen, mut truths, mut who, mut labels) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (chunk, chunk_groups) in indices.chunks(CHUNK).zip(groups.chunks(CHUNK)) {
        let x = pixels_tensor(test, spec, chunk, input.device);
        let moved = editor.apply(edit, x, chunk_groups);
        let (glasses_spec, glasses) = oracles.glasses;
        seen.extend(row_argmax(
            &rows(glasses.forward(normalize(moved.clone(), glasses_spec))),
            2,
        ));
        let (identity_spec, identity) = oracles.identity;
        let classes = input.dataset.info.class_names.len();
        who.extend(row_argmax(
            &rows(identity.forward(normalize(moved, identity_spec))),
            classes,
        ));
        truths.extend(
            chunk.iter().map(|&index| {
                usize::from(oracles.config.example(&identities, true, index).glasses)
            }),
        );
        labels.extend(chunk.iter().map(|&index| usize::from(test.labels[index])));
    }
    let toggled: Vec<usize> = truths.iter().map(|&worn| 1 - worn).collect();
    (
        agreement(&seen, &toggled),
        crate::symmetry::toggle_among(&seen, &truths, 1),
        crate::symmetry::toggle_among(&seen, &truths, 0),
        agreement(&who, &labels),
    )
}

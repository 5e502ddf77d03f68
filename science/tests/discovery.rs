//! End-to-end discovery on a planted factor: a tiny data set whose classes are coloured discs
//! and whose images carry, or not, a dark square (the within-class factor). Stage A must find
//! the square without its labels; from f keeps the labels through f̂, not Φ; and L_θ started at
//! the latent reflection between the splitter's two sides must toggle the square both ways.

use burn::prelude::*;
use memlab_science::data::{Dataset, Split};
use memlab_science::oracles::InMemory;
use memlab_science::rng::{SplitMix64, seeded};
use memlab_science::symmetry::discovery::{self, DiscoveryInput};
use memlab_science::symmetry::{self, SymmetryInput};
use memlab_shared::model::TransformNet;
use memlab_shared::model::{ClassifierConfig, LeNetConfig};
use memlab_shared::symmetry::{SymmetryMode, SymmetryReport, SymmetryRequest, SymmetrySearch};

const SIDE: usize = 16;
/// The square's rows and columns.
const SQUARE: std::ops::Range<usize> = 3..8;

/// Image `index`: class `index mod 3` (a disc of its own colour), the square on when `on`,
/// pixel noise from the index.
fn image(index: usize, on: bool) -> Vec<u8> {
    let class = index % 3;
    let colours = [[0.9, 0.3, 0.2], [0.2, 0.8, 0.3], [0.3, 0.4, 0.9]];
    let mut generator = SplitMix64::new(index as u64 * 7919 + 1);
    let mut values = vec![0u8; 3 * SIDE * SIDE];
    for y in 0..SIDE {
        for x in 0..SIDE {
            let (dy, dx) = (y as f64 - 9.5, x as f64 - 9.5);
            let inside = dy * dy + dx * dx < 20.0;
            let square = on && SQUARE.contains(&y) && SQUARE.contains(&x);
            for channel in 0..3 {
                let mut value = if inside { colours[class][channel] } else { 0.6 };
                if square {
                    value = 0.05;
                }
                value += 0.03 * (generator.next_f64() - 0.5);
                values[(channel * SIDE + y) * SIDE + x] = (value.clamp(0.0, 1.0) * 255.0) as u8;
            }
        }
    }
    values
}

fn split(count: usize, offset: usize) -> (Split, Vec<bool>) {
    let mut generator = SplitMix64::new(offset as u64);
    let on: Vec<bool> = (0..count).map(|_| generator.next_f64() < 0.5).collect();
    let images = (0..count).flat_map(|i| image(i + offset, on[i])).collect();
    let labels = (0..count).map(|i| ((i + offset) % 3) as u8).collect();
    (
        Split {
            images,
            labels,
            image_len: 3 * SIDE * SIDE,
        },
        on,
    )
}

/// Whether the square is drawn in each `[0, 1]` image of `values` (its mean is dark).
fn square_seen(values: &[f32]) -> Vec<bool> {
    values
        .chunks(3 * SIDE * SIDE)
        .map(|image| {
            let mut sum = 0.0;
            for channel in 0..3 {
                for y in SQUARE {
                    for x in SQUARE {
                        sum += image[(channel * SIDE + y) * SIDE + x];
                    }
                }
            }
            sum / (3 * SQUARE.len() * SQUARE.len()) as f32 <= 0.3
        })
        .collect()
}

/// The planted data set: 600 training and 120 test images, with where the square is on.
fn planted() -> (Dataset, Vec<bool>, Vec<bool>) {
    let (train, train_on) = split(600, 0);
    let (test, test_on) = split(120, 100_000);
    let dataset = Dataset::new(
        "planted",
        "discs with or without a square".into(),
        [3, SIDE, SIDE],
        vec!["red".into(), "green".into(), "blue".into()],
        train,
        test,
    );
    (dataset, train_on, test_on)
}

#[test]
fn a_planted_square_is_discovered() {
    let device = Device::flex();
    let (dataset, train_on, test_on) = planted();
    let spec = dataset.info.input.clone();

    // Stage A on its own, with the planted truth to score it (never to train on).
    let (_, stage_a) = discovery::discover(
        &DiscoveryInput {
            start: None,
            train: &dataset.train,
            test: &dataset.test,
            spec: &spec,
            groups: dataset
                .train
                .labels
                .iter()
                .map(|&l| usize::from(l))
                .collect(),
            grouping: "the true labels".into(),
            truth: Some((train_on, test_on.clone())),
            rounds: 2,
            epochs: 4,
            seed: 11,
            device: &device,
        },
        &mut |_, _| {},
    )
    .expect("discover");
    assert!(
        stage_a.cluster_agreement.expect("scored") >= 0.95,
        "{stage_a:?}"
    );
    for round in &stage_a.rounds {
        assert!(round.test_agreement.expect("scored") >= 0.95, "{stage_a:?}");
        assert!(
            round.balance_low > 0.2 && round.balance_high < 0.8,
            "{stage_a:?}"
        );
    }
}

/// L_θ from f on the planted set with stage A on: the run reports f̂ (trained apart from Φ, here an
/// untrained LeNet, so the two must differ), the discovery and S's flips per class.
fn run_from_f(
    steps: usize,
    search: SymmetrySearch,
) -> (Dataset, Vec<bool>, (SymmetryReport, TransformNet)) {
    let device = Device::flex();
    let (dataset, _, test_on) = planted();
    let model = seeded(&device, 5, || {
        ClassifierConfig::Lenet(LeNetConfig::new(3, SIDE, SIDE, 3)).init(&device)
    });
    let settings = symmetry::settings(&SymmetryRequest {
        steps: Some(steps),
        flip_weight: Some(1.0),
        splitter_rounds: Some(2),
        search: Some(search),
        seed: Some(3),
        ..Default::default()
    })
    .expect("settings");
    let oracles = InMemory::default();
    let input = SymmetryInput {
        dataset: &dataset,
        ground_truth: None,
        model: &model,
        mode: SymmetryMode::FromLabels,
        settings: &settings,
        oracles: &oracles,
        device: &device,
        device_name: "flex",
        label_model: None,
    };
    let outcome = symmetry::train(&input, &mut |_, _| {}, &mut |_| {}).expect("train");
    (dataset, test_on, outcome)
}

#[test]
fn from_f_keeps_labels_through_a_separate_classifier() {
    let (_, _, (report, _)) = run_from_f(20, SymmetrySearch::Game);
    let f = report.label_model.as_ref().expect("f̂ reported");
    assert!(f.test_accuracy >= 0.95, "{f:?}");
    // Φ here is an untrained LeNet: f̂ is not Φ and must disagree with it often.
    assert!(f.agreement_with_phi < 0.9, "{f:?}");
    let discovery = report.discovery.as_ref().expect("discovery ran");
    assert_eq!(discovery.groups, 3);
    assert_eq!(report.splitter_flip_by_class.len(), 3);
    assert_eq!(report.history.last().map(|s| s.step), Some(20));
}

/// Stage B on the planted square: the latent reflection between the splitter's two sides,
/// distilled into L_θ, then a short game with the flip term, toggles the square both ways and
/// S agrees with what a detector of the square reads.
#[test]
fn a_planted_square_is_toggled() {
    let device = Device::flex();
    let (dataset, test_on, (report, transform)) = run_from_f(50, SymmetrySearch::Reflection);
    let discovery = report.discovery.as_ref().expect("discovery ran");
    assert_eq!(discovery.groups, 3);
    let last = discovery.rounds.last().expect("rounds");
    assert!(last.augmentation_consistency >= 0.9, "{discovery:?}");
    assert_eq!(report.splitter_flip_by_class.len(), 3);

    // Stage B: L toggles the square, both ways, and S agrees.
    let x: Vec<f32> = dataset
        .test
        .images
        .iter()
        .map(|&b| f32::from(b) / 255.0)
        .collect();
    let images = Tensor::<4>::from_data(
        TensorData::new(x.clone(), [dataset.test.len(), 3, SIDE, SIDE]),
        &device,
    );
    let moved: Vec<f32> = transform
        .forward(images)
        .clamp(0.0, 1.0)
        .into_data()
        .iter::<f32>()
        .collect();
    let before = square_seen(&x);
    assert_eq!(before, test_on, "the detector reads the planted truth");
    let after = square_seen(&moved);
    let toggled = before.iter().zip(&after).filter(|(a, b)| a != b).count();
    let rate = toggled as f64 / before.len() as f64;
    let reflection = report
        .reflection
        .as_ref()
        .expect("the reflection start ran");
    assert!(rate >= 0.9, "toggle rate {rate}; reflection {reflection:?}");
    for on in [true, false] {
        let (toggled, total) = before
            .iter()
            .zip(&after)
            .filter(|(b, _)| **b == on)
            .fold((0, 0), |(t, n), (b, a)| (t + usize::from(a != b), n + 1));
        assert!(
            toggled as f64 >= 0.85 * total as f64,
            "square {}: toggled {toggled} of {total}",
            if on { "on → off" } else { "off → on" }
        );
    }
    let splitter = report.splitter_flip_rate.expect("flip rate");
    assert!(
        (splitter - rate).abs() <= 0.1,
        "S flips {splitter}, square {rate}"
    );
}

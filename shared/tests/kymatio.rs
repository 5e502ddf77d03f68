//! The scattering transform against Kymatio's own coefficients (`fixtures/kymatio_scattering.json`,
//! written by `bench/kymatio_fixture.py` with Kymatio 0.3.0's numpy backend on float64 input).

use burn::prelude::*;
use memlab_shared::model::ScatteringConfig;
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    height: usize,
    width: usize,
    scales: usize,
    angles: usize,
    image: Vec<f32>,
    shape: [usize; 3],
    coefficients: Vec<f64>,
}

#[derive(Deserialize)]
struct Fixture {
    cases: Vec<Case>,
}

#[test]
fn scattering_matches_kymatio_within_1e5_relative_per_channel() {
    let fixture: Fixture =
        serde_json::from_str(include_str!("fixtures/kymatio_scattering.json")).expect("fixture");
    let device = Device::flex();
    for case in fixture.cases {
        let config = ScatteringConfig::new(case.height, case.width, case.scales, case.angles);
        let [channels, rows, columns] = case.shape;
        assert_eq!(config.channels(), channels);
        assert_eq!(config.output_size(), [rows, columns]);
        let image = Tensor::<4>::from_data(
            TensorData::new(case.image.clone(), [1, 1, case.height, case.width]),
            &device,
        );
        let ours = config
            .init(&device)
            .forward(image)
            .into_data()
            .try_into_vec::<f32>()
            .expect("f32");
        assert_eq!(ours.len(), case.coefficients.len());
        let map = rows * columns;
        let mut worst = 0.0f64;
        // Relative error of each channel's map: ‖ours − theirs‖ / ‖theirs‖.
        for channel in 0..channels {
            let range = channel * map..(channel + 1) * map;
            let (mut diff, mut norm) = (0.0f64, 0.0f64);
            for (a, b) in ours[range.clone()].iter().zip(&case.coefficients[range]) {
                diff += (f64::from(*a) - b).powi(2);
                norm += b.powi(2);
            }
            let relative = (diff / norm).sqrt();
            worst = worst.max(relative);
            assert!(
                relative < 1e-5,
                "J={} L={} channel {channel}: relative error {relative:e}",
                case.scales,
                case.angles
            );
        }
        eprintln!(
            "J={} L={} {}x{}: worst channel relative error {worst:e}",
            case.scales, case.angles, case.height, case.width
        );
    }
}

//! The generated "Glasses" data set (`memlab_shared::glasses`) as a [`Dataset`]: no files, the
//! same pixels on every machine from the default seed.

use memlab_shared::glasses::{self, Example, GlassesConfig};

use super::{Dataset, Split};

/// The name it is listed under.
pub const NAME: &str = "glasses";

/// One split: `count` examples rendered as 8-bit RGB, each labelled by `label`.
pub fn split(
    config: &GlassesConfig,
    test: bool,
    count: usize,
    label: impl Fn(&Example) -> u8,
) -> Split {
    let identities = config.identity_list();
    let image_len = 3 * config.size * config.size;
    let mut images = Vec::with_capacity(count * image_len);
    let mut labels = Vec::with_capacity(count);
    for index in 0..count {
        let example = config.example(&identities, test, index);
        images.extend(glasses::to_u8(&glasses::render(
            &example,
            config.size,
            false,
        )));
        labels.push(label(&example));
    }
    Split {
        images,
        labels,
        image_len,
    }
}

/// The data set `config` describes (at most 256 identities: labels are bytes).
pub fn dataset(config: &GlassesConfig) -> Dataset {
    let identities = config.identities.min(256);
    let config = GlassesConfig {
        identities,
        ..*config
    };
    let identity = |example: &Example| example.label as u8;
    let train = split(
        &config,
        false,
        identities * config.train_per_identity,
        identity,
    );
    let test = split(
        &config,
        true,
        identities * config.test_per_identity,
        identity,
    );
    Dataset::new(
        NAME,
        format!(
            "Glasses: procedural faces, {identities} identities, {size}×{size} RGB, {} train + {} \
             test, glasses on about half; the true symmetry is toggling them (generated, seed {})",
            train.len(),
            test.len(),
            config.seed,
            size = config.size,
        ),
        [3, config.size, config.size],
        (0..identities).map(|i| format!("person {i:02}")).collect(),
        train,
        test,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_glasses_set_has_the_declared_shape() {
        let config = GlassesConfig {
            identities: 5,
            size: 16,
            train_per_identity: 4,
            test_per_identity: 2,
            ..Default::default()
        };
        let data = dataset(&config);
        assert_eq!((data.train.len(), data.test.len()), (20, 10));
        assert_eq!(data.train.image_len, 3 * 16 * 16);
        assert_eq!(data.info.class_names.len(), 5);
        assert_eq!(data.train.class_counts(5), vec![4; 5]);
        assert_eq!(data, dataset(&config), "deterministic");
        // The stored pixels are the shared renderer's.
        let identities = config.identity_list();
        let example = config.example(&identities, true, 3);
        assert_eq!(
            data.test.image(3),
            glasses::to_u8(&glasses::render(&example, 16, false))
        );
    }
}

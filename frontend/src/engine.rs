//! burn in the browser: WebGPU when the browser offers an adapter, else the flex CPU backend
//! compiled to wasm. The device is chosen once per page load, here.

use std::cell::RefCell;

use burn::prelude::*;
use burn::store::ModuleRecord;
use memlab_shared::model::{Classifier, ClassifierConfig};
use memlab_shared::preprocess::{InputSpec, Pixels, normalize};

/// Which backend runs the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// burn's wgpu runtime on the browser's WebGPU.
    WebGpu,
    /// burn's flex backend on the CPU, in wasm.
    Cpu,
}

impl Backend {
    /// A short machine-readable name (`webgpu`, `cpu`).
    pub fn key(self) -> &'static str {
        match self {
            Self::WebGpu => "webgpu",
            Self::Cpu => "cpu",
        }
    }

    /// What the page shows.
    pub fn label(self) -> &'static str {
        match self {
            Self::WebGpu => "WebGPU (burn wgpu)",
            Self::Cpu => "CPU (burn flex, wasm)",
        }
    }
}

/// The chosen device and why.
#[derive(Debug, Clone)]
pub struct Engine {
    /// The device every tensor of this page lives on.
    pub device: Device,
    /// Which backend that is.
    pub backend: Backend,
    /// Why the CPU was used, when it was.
    pub note: Option<String>,
}

thread_local! {
    static ENGINE: RefCell<Option<Engine>> = const { RefCell::new(None) };
}

/// The page's engine, initialized on first call. `prefer_cpu` skips WebGPU (`?backend=cpu`).
pub async fn engine(prefer_cpu: bool) -> Engine {
    if let Some(engine) = ENGINE.with(|cell| cell.borrow().clone()) {
        return engine;
    }
    let engine = if prefer_cpu {
        Engine {
            device: Device::flex(),
            backend: Backend::Cpu,
            note: Some("CPU requested by the link".into()),
        }
    } else {
        match Device::wgpu_options().init_async().await {
            Ok(device) => Engine {
                device,
                backend: Backend::WebGpu,
                note: None,
            },
            Err(error) => Engine {
                device: Device::flex(),
                backend: Backend::Cpu,
                note: Some(format!("no WebGPU adapter ({error}); using the CPU")),
            },
        }
    };
    ENGINE.with(|cell| *cell.borrow_mut() = Some(engine.clone()));
    engine
}

/// Rebuilds a trained model from its architecture and burn record bytes.
pub fn load_model(
    config: &ClassifierConfig,
    record: Vec<u8>,
    device: &Device,
) -> Result<Classifier, String> {
    let record = ModuleRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(record))
        .map_err(|error| format!("the weights do not decode: {error}"))?;
    config
        .init(device)
        .try_load_record(record)
        .map_err(|error| format!("the weights do not fit the model: {error}"))
}

/// Logits of one preprocessed image.
pub async fn logits(
    model: &Classifier,
    input: &InputSpec,
    pixels: &Pixels,
    device: &Device,
) -> Result<Vec<f32>, String> {
    let values = normalize(pixels, input);
    let images = Tensor::<4>::from_data(
        TensorData::new(values, [1, input.channels, input.height, input.width]),
        device,
    );
    let data = model
        .forward(images)
        .into_data_async()
        .await
        .map_err(|error| format!("reading the result failed: {error:?}"))?;
    data.try_into_vec::<f32>()
        .map_err(|error| format!("unexpected result type: {error:?}"))
}

/// Logits and penultimate features of many preprocessed images, in one batched pass (one row
/// per image, in order).
pub async fn batch(
    model: &Classifier,
    input: &InputSpec,
    images: &[Pixels],
    device: &Device,
) -> Result<(Vec<Vec<f32>>, Vec<Vec<f32>>), String> {
    let count = images.len();
    if count == 0 {
        return Ok((Vec::new(), Vec::new()));
    }
    let values: Vec<f32> = images
        .iter()
        .flat_map(|pixels| normalize(pixels, input))
        .collect();
    let tensor = Tensor::<4>::from_data(
        TensorData::new(values, [count, input.channels, input.height, input.width]),
        device,
    );
    let features = model.features(tensor);
    let logits = model.head(features.clone());
    let rows = |data: TensorData| -> Result<Vec<Vec<f32>>, String> {
        let values = data
            .try_into_vec::<f32>()
            .map_err(|error| format!("unexpected result type: {error:?}"))?;
        let width = values.len() / count;
        Ok(values.chunks(width.max(1)).map(<[f32]>::to_vec).collect())
    };
    let read = |error| format!("reading the result failed: {error:?}");
    let logits = rows(logits.into_data_async().await.map_err(read)?)?;
    let features = rows(features.into_data_async().await.map_err(read)?)?;
    Ok((logits, features))
}

//! burn in the browser: WebGPU when the browser offers an adapter, else the flex CPU backend
//! compiled to wasm. The device is chosen once per page load, here.

use std::cell::RefCell;

use burn::prelude::*;
use burn::store::ModuleRecord;
use memlab_shared::model::{Classifier, ClassifierConfig, TransformNet, TransformNetConfig};
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
    /// The WebGPU adapter as the browser describes it (vendor, architecture, device).
    pub adapter: Option<String>,
}

/// Reads `object[key]` as a non-empty string.
fn text_field(object: &wasm_bindgen::JsValue, key: &str) -> Option<String> {
    js_sys::Reflect::get(object, &key.into())
        .ok()?
        .as_string()
        .filter(|text| !text.is_empty())
}

/// The browser's description of its WebGPU adapter (`GPUAdapterInfo`), when it gives one.
async fn adapter_name() -> Option<String> {
    let navigator = web_sys::window()?.navigator();
    let gpu = js_sys::Reflect::get(&navigator, &"gpu".into()).ok()?;
    if gpu.is_undefined() || gpu.is_null() {
        return None;
    }
    let request = js_sys::Reflect::get(&gpu, &"requestAdapter".into()).ok()?;
    let request: js_sys::Function = wasm_bindgen::JsCast::dyn_into(request).ok()?;
    let promise: js_sys::Promise =
        wasm_bindgen::JsCast::dyn_into(request.call0(&gpu).ok()?).ok()?;
    let adapter = wasm_bindgen_futures::JsFuture::from(promise).await.ok()?;
    if adapter.is_null() || adapter.is_undefined() {
        return None;
    }
    let info = js_sys::Reflect::get(&adapter, &"info".into()).ok()?;
    let parts: Vec<String> = ["vendor", "architecture", "device", "description"]
        .iter()
        .filter_map(|key| text_field(&info, key))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" · "))
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
            adapter: None,
        }
    } else {
        match Device::wgpu_options().init_async().await {
            Ok(device) => Engine {
                device,
                backend: Backend::WebGpu,
                note: None,
                adapter: adapter_name().await,
            },
            Err(error) => Engine {
                device: Device::flex(),
                backend: Backend::Cpu,
                note: Some(format!("no WebGPU adapter ({error}); using the CPU")),
                adapter: None,
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

/// Rebuilds a learned symmetry L_θ of the architecture `network` (its report's) from its burn
/// record bytes.
pub fn load_transform(
    network: &TransformNetConfig,
    record: Vec<u8>,
    device: &Device,
) -> Result<TransformNet, String> {
    let record = ModuleRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(record))
        .map_err(|error| format!("the L_θ weights do not decode: {error}"))?;
    network
        .init(device)
        .try_load_record(record)
        .map_err(|error| format!("the L_θ weights do not fit: {error}"))
}

/// The orbit `x, L x, L² x, …` (`steps` applications of `transform`) of one image, in pixels
/// in `[0, 1]` (what L_θ reads and writes).
pub async fn orbit(
    transform: &TransformNet,
    pixels: &Pixels,
    steps: usize,
    device: &Device,
) -> Result<Vec<Pixels>, String> {
    let shape = [1, pixels.channels, pixels.height, pixels.width];
    let mut current = Tensor::<4>::from_data(TensorData::new(pixels.values.clone(), shape), device);
    let mut orbit = vec![pixels.clone()];
    for _ in 0..steps {
        current = transform.forward(current);
        let values = current
            .clone()
            .into_data_async()
            .await
            .map_err(|error| format!("reading L x failed: {error:?}"))?
            .try_into_vec::<f32>()
            .map_err(|error| format!("unexpected result type: {error:?}"))?;
        orbit.push(Pixels {
            values,
            ..pixels.clone()
        });
    }
    Ok(orbit)
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

//! Calls to memlab's JSON API from the browser; every failure becomes a readable message.

use memlab_shared::api::ErrorBody;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::Response;

fn js_message(value: wasm_bindgen::JsValue) -> String {
    value.as_string().unwrap_or_else(|| format!("{value:?}"))
}

/// GETs `url` and fails with the server's `detail` on a 4xx/5xx.
async fn fetch(url: &str) -> Result<Response, String> {
    let window = web_sys::window().ok_or("no window")?;
    send(url, window.fetch_with_str(url)).await
}

/// POSTs `body` as JSON and decodes the JSON answer.
pub async fn post_json<B: serde::Serialize, T: DeserializeOwned>(
    url: &str,
    body: &B,
) -> Result<T, String> {
    let window = web_sys::window().ok_or("no window")?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    let headers = web_sys::Headers::new().map_err(js_message)?;
    headers
        .set("content-type", "application/json")
        .map_err(js_message)?;
    init.set_headers(&wasm_bindgen::JsValue::from(headers));
    let json = serde_json::to_string(body).map_err(|error| error.to_string())?;
    init.set_body(&wasm_bindgen::JsValue::from_str(&json));
    let response = send(url, window.fetch_with_str_and_init(url, &init)).await?;
    let text = text(&response).await?;
    serde_json::from_str(&text).map_err(|error| format!("unexpected answer from {url}: {error}"))
}

/// POSTs raw bytes (an image file) and decodes the JSON answer.
pub async fn post_bytes<T: DeserializeOwned>(url: &str, bytes: &[u8]) -> Result<T, String> {
    let window = web_sys::window().ok_or("no window")?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    let body = js_sys::Uint8Array::from(bytes);
    init.set_body(&body);
    let response = send(url, window.fetch_with_str_and_init(url, &init)).await?;
    let text = text(&response).await?;
    serde_json::from_str(&text).map_err(|error| format!("unexpected answer from {url}: {error}"))
}

/// Awaits a fetch and turns a 4xx/5xx into the server's `detail`.
async fn send(url: &str, request: js_sys::Promise) -> Result<Response, String> {
    let response = JsFuture::from(request)
        .await
        .map_err(|error| format!("network error for {url}: {}", js_message(error)))?;
    let response: Response = response.dyn_into().map_err(js_message)?;
    if response.ok() {
        return Ok(response);
    }
    let status = response.status();
    let text = text(&response).await.unwrap_or_default();
    Err(match serde_json::from_str::<ErrorBody>(&text) {
        Ok(body) => body.detail,
        Err(_) => format!("the server answered {status} for {url}"),
    })
}

async fn text(response: &Response) -> Result<String, String> {
    let promise = response.text().map_err(js_message)?;
    let value = JsFuture::from(promise).await.map_err(js_message)?;
    Ok(value.as_string().unwrap_or_default())
}

/// GETs and decodes JSON.
pub async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, String> {
    let response = fetch(url).await?;
    let body = text(&response).await?;
    serde_json::from_str(&body).map_err(|error| format!("unexpected answer from {url}: {error}"))
}

/// GETs raw bytes.
pub async fn get_bytes(url: &str) -> Result<Vec<u8>, String> {
    Ok(get_bytes_and_header(url, "x-label").await?.0)
}

/// GETs raw bytes and one response header.
pub async fn get_bytes_and_header(
    url: &str,
    header: &str,
) -> Result<(Vec<u8>, Option<String>), String> {
    let response = fetch(url).await?;
    let value = response.headers().get(header).ok().flatten();
    let promise = response.array_buffer().map_err(js_message)?;
    let buffer = JsFuture::from(promise).await.map_err(js_message)?;
    Ok((js_sys::Uint8Array::new(&buffer).to_vec(), value))
}

/// Replaces the address bar's query without reloading, so the link restores this view.
pub fn replace_query(query: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(path) = window.location().pathname() else {
        return;
    };
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("{path}?{query}")),
        );
    }
}

/// Reads a file the user picked or dropped.
pub async fn read_file(file: &web_sys::File) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(file.array_buffer())
        .await
        .map_err(|error| format!("cannot read {}: {}", file.name(), js_message(error)))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

//! A drawn chart on the page: its caption, the SVG plotters made (with hover values), and
//! buttons that save it as SVG or PNG.

use leptos::prelude::*;
use memlab_charts::svg::file_stem;
use memlab_shared::preprocess::base64;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

fn js_error(value: wasm_bindgen::JsValue) -> String {
    value.as_string().unwrap_or_else(|| format!("{value:?}"))
}

/// Renders `svg` (as a `data:` URL) at twice its size on a canvas and saves it as `name`;
/// answers the PNG's size.
async fn save_png(svg_url: &str, name: &str) -> Result<(u32, u32), String> {
    let document = web_sys::window()
        .and_then(|window| window.document())
        .ok_or("no document")?;
    let image = web_sys::HtmlImageElement::new().map_err(js_error)?;
    image.set_src(svg_url);
    JsFuture::from(image.decode()).await.map_err(js_error)?;
    let (width, height) = (image.natural_width() * 2, image.natural_height() * 2);
    let canvas: web_sys::HtmlCanvasElement = document
        .create_element("canvas")
        .map_err(js_error)?
        .dyn_into()
        .map_err(|_| "not a canvas".to_owned())?;
    canvas.set_width(width);
    canvas.set_height(height);
    let context: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .map_err(js_error)?
        .ok_or("no 2-D canvas")?
        .dyn_into()
        .map_err(|_| "not a 2-D context".to_owned())?;
    context.set_fill_style_str("#fff");
    context.fill_rect(0.0, 0.0, f64::from(width), f64::from(height));
    context
        .draw_image_with_html_image_element_and_dw_and_dh(
            &image,
            0.0,
            0.0,
            f64::from(width),
            f64::from(height),
        )
        .map_err(js_error)?;
    let png = canvas
        .to_data_url_with_type("image/png")
        .map_err(js_error)?;
    let link: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(js_error)?
        .dyn_into()
        .map_err(|_| "not a link".to_owned())?;
    link.set_href(&png);
    link.set_download(name);
    link.click();
    Ok((width, height))
}

/// The figure: caption, chart, and SVG/PNG download.
#[component]
pub fn ChartFigure(
    /// Caption (also the downloaded files' name).
    title: String,
    /// The chart's SVG markup.
    svg: String,
    /// DOM id of the figure.
    #[prop(default = None)]
    id: Option<String>,
) -> impl IntoView {
    let stem = file_stem(&title);
    let url = format!("data:image/svg+xml;base64,{}", base64(svg.as_bytes()));
    let saved = RwSignal::new(None::<Result<String, String>>);
    let png_url = url.clone();
    let png_name = format!("{stem}.png");
    let save = move |_| {
        let (url, name) = (png_url.clone(), png_name.clone());
        leptos::task::spawn_local(async move {
            saved.set(Some(save_png(&url, &name).await.map(|(width, height)| {
                format!("saved {name} ({width}×{height})")
            })));
        });
    };
    view! {
        <figure id=id class="chart">
            <figcaption>{title}</figcaption>
            <div class="chart-svg" inner_html=svg></div>
            <div class="chart-tools">
                <a class="download-svg" href=url download=format!("{stem}.svg")>"SVG"</a>
                <button class="download-png" on:click=save>"PNG"</button>
                {move || saved.get().map(|result| match result {
                    Ok(text) => view! { <span class="muted saved">{text}</span> }.into_any(),
                    Err(text) => view! { <span class="error">{format!("PNG failed: {text}")}</span> }.into_any(),
                })}
            </div>
        </figure>
    }
}

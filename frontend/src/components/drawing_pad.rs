//! A drawing canvas as a probe input: white strokes on black (as MNIST digits are), handed to
//! the page as a PNG after every stroke, so the model's answer follows the drawing.

use leptos::html::Canvas;
use leptos::prelude::*;
use memlab_shared::preprocess::Pixels;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, PointerEvent};

/// The canvas side, pixels (8 × a 28-pixel input).
pub const SIDE: u32 = 224;
/// The pen's width, pixels.
const PEN: f64 = 18.0;

fn context(canvas: &web_sys::HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok()??.dyn_into().ok()
}

fn clear(context: &CanvasRenderingContext2d) {
    context.set_fill_style_str("#000");
    context.fill_rect(0.0, 0.0, f64::from(SIDE), f64::from(SIDE));
}

/// The canvas' pixels as a PNG.
fn png(context: &CanvasRenderingContext2d) -> Result<Vec<u8>, String> {
    let data = context
        .get_image_data(0.0, 0.0, f64::from(SIDE), f64::from(SIDE))
        .map_err(|error| format!("cannot read the drawing: {error:?}"))?
        .data();
    let side = SIDE as usize;
    let plane = side * side;
    // RGBA rows → RGB planes (the canvas is opaque).
    let planes: Vec<u8> = (0..3)
        .flat_map(|channel| (0..plane).map(move |index| (index, channel)))
        .map(|(index, channel)| data[index * 4 + channel])
        .collect();
    Pixels::from_u8(3, side, side, &planes)
        .to_png()
        .map_err(|error| error.to_string())
}

/// Where a pointer event falls on the canvas, in canvas pixels.
fn position(canvas: &web_sys::HtmlCanvasElement, event: &PointerEvent) -> (f64, f64) {
    let frame = canvas.get_bounding_client_rect();
    let scale = |extent: f64| {
        if extent > 0.0 {
            f64::from(SIDE) / extent
        } else {
            1.0
        }
    };
    (
        (f64::from(event.client_x()) - frame.left()) * scale(frame.width()),
        (f64::from(event.client_y()) - frame.top()) * scale(frame.height()),
    )
}

/// The canvas, with Clear; `on_drawn` gets the drawing as a PNG after each stroke.
#[component]
pub fn DrawingPad(on_drawn: Callback<Vec<u8>>) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let drawing = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let with_context =
        move |act: &dyn Fn(&web_sys::HtmlCanvasElement, &CanvasRenderingContext2d)| {
            if let Some(element) = canvas.get_untracked()
                && let Some(context) = context(&element)
            {
                act(&element, &context);
            }
        };
    Effect::new(move |_| {
        if let Some(element) = canvas.get()
            && let Some(context) = context(&element)
        {
            clear(&context);
        }
    });
    let finish = move || {
        if !drawing.get_untracked() {
            return;
        }
        drawing.set(false);
        with_context(&|_, context| match png(context) {
            Ok(bytes) => {
                error.set(None);
                on_drawn.run(bytes);
            }
            Err(message) => error.set(Some(message)),
        });
    };
    view! {
        <div class="drawing">
            <canvas id="drawing" node_ref=canvas width=SIDE height=SIDE
                on:pointerdown=move |event: PointerEvent| {
                    event.prevent_default();
                    drawing.set(true);
                    with_context(&|element, context| {
                        let (x, y) = position(element, &event);
                        context.set_stroke_style_str("#fff");
                        context.set_fill_style_str("#fff");
                        context.set_line_width(PEN);
                        context.set_line_cap("round");
                        context.set_line_join("round");
                        context.begin_path();
                        // A dot where the stroke starts, so a click draws too.
                        let _ = context.arc(x, y, PEN / 2.0, 0.0, std::f64::consts::TAU);
                        context.fill();
                        context.begin_path();
                        context.move_to(x, y);
                    });
                }
                on:pointermove=move |event: PointerEvent| {
                    if drawing.get_untracked() {
                        with_context(&|element, context| {
                            let (x, y) = position(element, &event);
                            context.line_to(x, y);
                            context.stroke();
                        });
                    }
                }
                on:pointerup=move |_| finish()
                on:pointerleave=move |_| finish()
            ></canvas>
            <p>
                <button id="drawing-clear" on:click=move |_| with_context(&|_, context| clear(context))>"Clear"</button>
                <span class="muted">" Draw with the mouse or a finger; the model answers after each stroke."</span>
            </p>
            {move || error.get().map(|message| view! { <p class="error">{message}</p> })}
        </div>
    }
}

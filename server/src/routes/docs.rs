//! The API's reference: the OpenAPI document built from the handlers' annotations and the
//! shared types' schemas (`GET /api/openapi.json`), and the same document as a readable page
//! (`GET /api/docs`), rendered here without scripts.

use std::fmt::Write;
use std::sync::OnceLock;

use axum::Json;
use axum::response::Html;
use serde_json::Value;
use utoipa::openapi::{InfoBuilder, OpenApi, OpenApiBuilder};

/// What every answer of the API shares, written once for both the document and the page.
const DESCRIPTION: &str = "memlab's JSON API: experiments (training runs) and their analyses \
(bound panels, invariance probes, Lie generators, learned symmetries), studies, data sets and \
published images. Work (training, every analysis) is queued and runs in the background: a POST \
answers at once with the queued job, and a GET of the same path follows it. Errors are JSON \
`{\"error\": kind, \"detail\": sentence}` with a 4xx status for bad input (405 for a wrong \
method, 413 for a body over 16 MiB, 429 when one client has too much in flight); every limit is \
in `shared/src/limits.rs`. A public (read-only) server answers 403 to every request that starts \
work or writes, unless it carries `Authorization: Bearer <admin token>`; publishing images for \
links stays open there.";

/// The document: every route of [`super::api`], under `/api`.
pub fn openapi() -> &'static OpenApi {
    static DOCUMENT: OnceLock<OpenApi> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let (_, routes) = super::api().split_for_parts();
        let info = InfoBuilder::new()
            .title("memlab")
            .version(env!("CARGO_PKG_VERSION"))
            .description(Some(DESCRIPTION))
            .build();
        let mut document = OpenApiBuilder::new()
            .info(info)
            .build()
            .nest("/api", routes);
        for item in document.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                operation.summary = operation.summary.as_deref().map(tidy);
                operation.description = operation.description.as_deref().map(tidy);
            }
        }
        document
    })
}

/// A handler's doc comment as a reader of the reference wants it: without the leading
/// "`GET /api/…`: " (the reference shows the route) and with rustdoc's links as code spans.
pub fn tidy(doc: &str) -> String {
    let mut text = doc.trim_start();
    if let Some(rest) = text.strip_prefix('`')
        && let Some((route, after)) = rest.split_once('`')
        && METHODS.iter().any(|m| route.starts_with(&m.to_uppercase()))
    {
        text = after.trim_start_matches(':').trim_start();
    }
    let mut tidied = text.replace("[`", "`").replace("`]", "`");
    if let Some(first) = tidied.chars().next() {
        let upper: String = first.to_uppercase().collect();
        tidied.replace_range(..first.len_utf8(), &upper);
    }
    tidied
}

/// `GET /api/openapi.json`: the OpenAPI document of this API.
#[utoipa::path(get, path = "/openapi.json", tag = "service",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi_get() -> Json<&'static OpenApi> {
    Json(openapi())
}

/// `GET /api/docs`: the OpenAPI document as a page to read.
#[utoipa::path(get, path = "/docs", tag = "service",
    responses((status = 200, description = "The API reference as HTML", content_type = "text/html")))]
pub async fn docs_page() -> Html<&'static str> {
    static PAGE: OnceLock<String> = OnceLock::new();
    Html(PAGE.get_or_init(|| {
        let document = serde_json::to_value(openapi()).unwrap_or(Value::Null);
        render(&document)
    }))
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2em auto;\
padding:0 1em;color:#222}code,.path{font-family:ui-monospace,monospace}h2{margin-top:2em;\
border-bottom:1px solid #ccc}section.op{border:1px solid #ddd;border-radius:6px;padding:.2em 1em;\
margin:1em 0}table{border-collapse:collapse;width:100%;margin:.5em 0}td,th{border-top:1px solid \
#eee;padding:.25em .5em;text-align:left;vertical-align:top}.method{display:inline-block;\
min-width:4em;font-weight:bold;text-transform:uppercase}.get{color:#0a6}.post{color:#06c}\
.status{font-weight:bold}nav li{list-style:none}";

/// The page: a contents list by tag, each operation, then each schema.
pub fn render(document: &Value) -> String {
    let title = text(&document["info"]["title"]);
    let mut page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} API</title>\
         <style>{STYLE}</style></head><body><h1>{} API <small>{}</small></h1><p>{}</p>\
         <p>Machine-readable: <a href=\"/api/openapi.json\">/api/openapi.json</a>.</p>",
        escape(&title),
        escape(&title),
        escape(&text(&document["info"]["version"])),
        inline(&text(&document["info"]["description"])),
    );
    let operations = operations(document);
    let mut tags: Vec<&str> = operations.iter().map(|op| op.tag.as_str()).collect();
    tags.dedup();
    tags.sort_unstable();
    tags.dedup();
    page.push_str("<nav><h2>Contents</h2>");
    for tag in &tags {
        let _ = write!(page, "<h3>{}</h3><ul>", escape(tag));
        for op in operations.iter().filter(|op| op.tag == *tag) {
            let _ = write!(
                page,
                "<li><a href=\"#{}\"><span class=\"method {m}\">{m}</span> \
                 <span class=\"path\">{}</span></a> {}</li>",
                op.anchor(),
                escape(&op.path),
                inline(&text(&op.body["summary"])),
                m = op.method,
            );
        }
        page.push_str("</ul>");
    }
    page.push_str("</nav>");
    for tag in &tags {
        let _ = write!(page, "<h2>{}</h2>", escape(tag));
        for op in operations.iter().filter(|op| op.tag == *tag) {
            page.push_str(&operation(op));
        }
    }
    page.push_str("<h2>Schemas</h2>");
    if let Some(schemas) = document["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            let _ = write!(
                page,
                "<section id=\"schema-{}\"><h3>{}</h3>{}</section>",
                escape(name),
                escape(name),
                schema_body(schema)
            );
        }
    }
    page.push_str("</body></html>");
    page
}

/// One operation of the document.
struct Operation<'a> {
    method: &'static str,
    path: String,
    tag: String,
    body: &'a Value,
}

impl Operation<'_> {
    fn anchor(&self) -> String {
        format!("{}-{}", self.method, text(&self.body["operationId"]))
    }
}

/// Every operation, in the document's path order.
fn operations(document: &Value) -> Vec<Operation<'_>> {
    let mut found = Vec::new();
    if let Some(paths) = document["paths"].as_object() {
        for (path, item) in paths {
            for method in METHODS {
                let body = &item[method];
                if body.is_object() {
                    let tag = body["tags"][0].as_str().unwrap_or("other").to_owned();
                    found.push(Operation {
                        method,
                        path: path.clone(),
                        tag,
                        body,
                    });
                }
            }
        }
    }
    found
}

fn operation(op: &Operation) -> String {
    let body = op.body;
    let mut html = format!(
        "<section class=\"op\" id=\"{}\"><h3><span class=\"method {m}\">{m}</span> \
         <span class=\"path\">{}</span></h3>",
        op.anchor(),
        escape(&op.path),
        m = op.method,
    );
    for paragraph in text(&body["description"]).split("\n\n") {
        if !paragraph.trim().is_empty() {
            let _ = write!(html, "<p>{}</p>", inline(paragraph));
        }
    }
    if let Some(parameters) = body["parameters"].as_array().filter(|p| !p.is_empty()) {
        html.push_str(
            "<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>type</th>\
             <th>description</th></tr>",
        );
        for parameter in parameters {
            let required = if parameter["required"] == Value::Bool(true) {
                ""
            } else {
                " (optional)"
            };
            let _ = write!(
                html,
                "<tr><td><code>{}</code>{required}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&text(&parameter["name"])),
                escape(&text(&parameter["in"])),
                type_of(&parameter["schema"]),
                inline(&text(&parameter["description"])),
            );
        }
        html.push_str("</table>");
    }
    if body["requestBody"].is_object() {
        let request = &body["requestBody"];
        let required = if request["required"] == Value::Bool(true) {
            ""
        } else {
            " (optional)"
        };
        let _ = write!(
            html,
            "<h4>Body{required}</h4><p>{}</p>{}",
            inline(&text(&request["description"])),
            contents(&request["content"])
        );
    }
    if let Some(responses) = body["responses"].as_object() {
        html.push_str("<h4>Responses</h4><table>");
        for (status, response) in responses {
            let _ = write!(
                html,
                "<tr><td class=\"status\">{}</td><td>{}{}</td></tr>",
                escape(status),
                inline(&text(&response["description"])),
                contents(&response["content"])
            );
        }
        html.push_str("</table>");
    }
    html.push_str("</section>");
    html
}

/// The media types of a body and each one's schema.
fn contents(content: &Value) -> String {
    let Some(content) = content.as_object() else {
        return String::new();
    };
    content
        .iter()
        .map(|(media, body)| {
            let schema = &body["schema"];
            let shown = if schema.is_null() {
                String::new()
            } else {
                format!(": {}", type_of(schema))
            };
            format!("<div><code>{}</code>{shown}</div>", escape(media))
        })
        .collect()
}

/// A schema's type in one line: a link for a named schema, `[T]` for arrays, alternatives
/// joined by `|`, enumerations by their values.
pub fn type_of(schema: &Value) -> String {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return format!("<a href=\"#schema-{0}\">{0}</a>", escape(name));
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(options) = schema[key].as_array() {
            let joiner = if key == "allOf" { " & " } else { " | " };
            return options.iter().map(type_of).collect::<Vec<_>>().join(joiner);
        }
    }
    if let Some(values) = schema["enum"].as_array() {
        return values
            .iter()
            .map(|value| match value {
                Value::String(name) => format!("<code>{}</code>", escape(name)),
                other => format!("<code>{}</code>", escape(&other.to_string())),
            })
            .collect::<Vec<_>>()
            .join(" | ");
    }
    let types: Vec<String> = match &schema["type"] {
        Value::String(one) => vec![one.clone()],
        Value::Array(many) => many.iter().map(text).collect(),
        _ => return "any".into(),
    };
    types
        .iter()
        .map(|kind| match kind.as_str() {
            "array" => format!("[{}]", type_of(&schema["items"])),
            "object" if schema["properties"].is_object() => "object".into(),
            "object" if schema["additionalProperties"].is_object() => {
                format!("map of {}", type_of(&schema["additionalProperties"]))
            }
            "null" => "null".into(),
            other => match schema["format"].as_str() {
                Some(format) => format!("{} ({})", escape(other), escape(format)),
                None => escape(other),
            },
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

/// A named schema: its description, then its fields (objects) or its alternatives.
fn schema_body(schema: &Value) -> String {
    let mut html = String::new();
    let description = text(&schema["description"]);
    if !description.is_empty() {
        let _ = write!(html, "<p>{}</p>", inline(&description));
    }
    if let Some(properties) = schema["properties"].as_object() {
        html.push_str(&fields(schema, properties));
    } else if let Some(options) = schema["oneOf"].as_array() {
        html.push_str("<p>One of:</p><ul>");
        for option in options {
            let _ = write!(html, "<li>{}</li>", schema_body_or_type(option));
        }
        html.push_str("</ul>");
    } else {
        let _ = write!(html, "<p>{}</p>", type_of(schema));
    }
    html
}

/// An alternative of a `oneOf`: an inline object as its fields, anything else as its type.
fn schema_body_or_type(schema: &Value) -> String {
    match schema["properties"].as_object() {
        Some(properties) => {
            let description = text(&schema["description"]);
            format!("{}{}", inline(&description), fields(schema, properties))
        }
        None => {
            let description = text(&schema["description"]);
            if description.is_empty() {
                type_of(schema)
            } else {
                format!("{}: {}", type_of(schema), inline(&description))
            }
        }
    }
}

fn fields(schema: &Value, properties: &serde_json::Map<String, Value>) -> String {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut html = String::from("<table><tr><th>field</th><th>type</th><th>description</th></tr>");
    for (name, property) in properties {
        let optional = if required.contains(&name.as_str()) {
            ""
        } else {
            " (optional)"
        };
        let _ = write!(
            html,
            "<tr><td><code>{}</code>{optional}</td><td>{}</td><td>{}</td></tr>",
            escape(name),
            type_of(property),
            inline(&text(&property["description"])),
        );
    }
    html.push_str("</table>");
    html
}

/// A JSON string's text (empty for anything else).
fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// HTML-escapes `raw`.
pub fn escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escaped text with Markdown's inline code spans (`` `x` ``) as `<code>`.
pub fn inline(raw: &str) -> String {
    escape(raw)
        .split('`')
        .enumerate()
        .map(|(index, part)| {
            if index % 2 == 1 {
                format!("<code>{part}</code>")
            } else {
                part.to_owned()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn types_read_as_one_line() {
        assert_eq!(
            type_of(&json!({"$ref": "#/components/schemas/Experiment"})),
            "<a href=\"#schema-Experiment\">Experiment</a>"
        );
        assert_eq!(
            type_of(&json!({"type": "array", "items": {"type": "integer", "format": "int64"}})),
            "[integer (int64)]"
        );
        assert_eq!(
            type_of(&json!({"type": ["number", "null"], "format": "double"})),
            "number (double) or null"
        );
        assert_eq!(
            type_of(&json!({"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/A"}]})),
            "null | <a href=\"#schema-A\">A</a>"
        );
        assert_eq!(
            type_of(&json!({"type": "string", "enum": ["from_phi", "from_labels"]})),
            "<code>from_phi</code> | <code>from_labels</code>"
        );
        assert_eq!(
            type_of(&json!({"type": "object", "additionalProperties": {"type": "string"}})),
            "map of string"
        );
    }

    #[test]
    fn handler_docs_lose_their_route_and_rustdoc_links() {
        assert_eq!(
            tidy("`GET /api/experiments`: newest first."),
            "Newest first."
        );
        assert_eq!(
            tidy("`POST /api/x/{id}/bounds`: queues it; the body is a [`BoundRequest`]."),
            "Queues it; the body is a `BoundRequest`."
        );
        assert_eq!(
            tidy("Liveness and the training device."),
            "Liveness and the training device."
        );
        assert_eq!(
            tidy("`x` is a code span first."),
            "`x` is a code span first."
        );
    }

    #[test]
    fn text_is_escaped_and_code_spans_kept() {
        assert_eq!(
            escape("<a href=\"x\">&"),
            "&lt;a href=&quot;x&quot;&gt;&amp;"
        );
        assert_eq!(
            inline("use `a<b>` here"),
            "use <code>a&lt;b&gt;</code> here"
        );
    }
}

//! What every chart's SVG gets after drawing: a class that makes it responsive, hover
//! targets with their values, and a file name for downloads.

/// Escapes text for SVG content.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The SVG plotters wrote, made responsive (`class="plot"`), with an invisible hover target
/// carrying a `<title>` (the browser shows it as a tooltip) at each `(x, y, text)`.
pub fn finish(svg: &str, targets: &[(i32, i32, String)]) -> String {
    let hover: String = targets
        .iter()
        .map(|(x, y, text)| {
            format!(
                "<circle class=\"hover\" cx=\"{x}\" cy=\"{y}\" r=\"6\" fill=\"transparent\"><title>{}</title></circle>",
                escape(text)
            )
        })
        .collect();
    let svg = svg.replacen("<svg ", "<svg class=\"plot\" ", 1);
    match svg.rfind("</svg>") {
        Some(end) => format!("{}{hover}{}", &svg[..end], &svg[end..]),
        None => svg,
    }
}

/// A file name from a caption.
pub fn file_stem(title: &str) -> String {
    let stem: String = title
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let stem = stem
        .split('-')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if stem.is_empty() {
        "chart".into()
    } else {
        stem.chars().take(60).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hover_targets_go_inside_the_svg_and_are_escaped() {
        let svg = finish(
            "<svg width=\"10\" height=\"10\"><rect/></svg>\n",
            &[(3, 4, "a < b & c".into())],
        );
        assert!(svg.starts_with("<svg class=\"plot\" width"));
        assert!(svg.contains(
            "<circle class=\"hover\" cx=\"3\" cy=\"4\" r=\"6\" fill=\"transparent\"><title>a &lt; b &amp; c</title></circle></svg>"
        ));
    }

    #[test]
    fn file_names_come_from_captions() {
        assert_eq!(
            file_stem("Bounds against p (log scale)"),
            "bounds-against-p-log-scale"
        );
        assert_eq!(file_stem("→"), "chart");
    }
}

//! The architecture invariants of `ARCHITECTURE.md`, checked: which crates may depend on the
//! async runtime, the web framework and the database, no import cycle between the top-level
//! modules of any crate, and every API route declared where the OpenAPI document reads it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

/// Crates that must stay free of the runtime, HTTP and SQL: what they may not depend on.
const PURE: [&str; 2] = ["memlab-science", "memlab-shared"];
/// What the pure crates may not pull in, directly or not.
const FORBIDDEN: [&str; 4] = ["tokio", "axum", "sqlx", "hyper"];
/// The only crate that may name sqlx.
const SQL_CRATE: &str = "memlab-store";
/// Crates whose top-level modules must not import each other in a cycle.
const CRATES: [&str; 8] = [
    "shared", "kernels", "charts", "science", "store", "server", "frontend", "xtask",
];

/// Runs every check; fails naming each broken invariant.
pub fn check() -> anyhow::Result<()> {
    let mut broken = Vec::new();
    for krate in PURE {
        for package in tree(&["-p", krate])? {
            if FORBIDDEN.contains(&package.as_str()) {
                broken.push(format!("{krate} depends on {package}"));
            }
        }
    }
    let users = tree(&[
        "--workspace",
        "--exclude",
        "memlab-frontend",
        "-i",
        "sqlx",
        "--depth",
        "1",
    ])?;
    for user in users.iter().filter(|name| name.starts_with("memlab")) {
        if user != SQL_CRATE {
            broken.push(format!("{user} depends on sqlx (only {SQL_CRATE} may)"));
        }
    }
    for krate in CRATES {
        let src = Path::new(krate).join("src");
        for cycle in cycles(&module_imports(&src)?) {
            broken.push(format!("{krate}: import cycle {}", cycle.join(" → ")));
        }
    }
    let mut server = String::new();
    collect_rust(Path::new("server/src"), &mut server)?;
    for line in server
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
    {
        if let Some(call) = plain_route(line) {
            broken.push(format!(
                "server/src adds a route with `{call}`: declare it in `routes::api` with \
                 `routes!` (and `#[utoipa::path]`) so /api/openapi.json lists it"
            ));
        }
    }
    if !broken.is_empty() {
        bail!("architecture invariants broken:\n  {}", broken.join("\n  "));
    }
    eprintln!("xtask: architecture invariants hold");
    Ok(())
}

/// The package names `cargo tree` lists (normal dependencies) for `args`.
fn tree(args: &[&str]) -> anyhow::Result<BTreeSet<String>> {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["tree", "-q", "-e", "normal", "--prefix", "none"])
        .args(args)
        .output()
        .context("running cargo tree")?;
    if !output.status.success() {
        bail!(
            "cargo tree {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect())
}

/// For each top-level module of the crate at `src` (a file `x.rs` or a folder `x/`), the
/// other top-level modules its code names through `crate::`.
fn module_imports(src: &Path) -> anyhow::Result<BTreeMap<String, BTreeSet<String>>> {
    let mut sources: BTreeMap<String, String> = BTreeMap::new();
    for entry in std::fs::read_dir(src).with_context(|| format!("reading {}", src.display()))? {
        let path = entry?.path();
        let Some(name) = path.file_stem().and_then(|stem| stem.to_str()) else {
            continue;
        };
        if path.is_dir() {
            let mut text = String::new();
            collect_rust(&path, &mut text)?;
            sources.entry(name.to_owned()).or_default().push_str(&text);
        } else if path.extension().is_some_and(|ext| ext == "rs") && !matches!(name, "lib" | "main")
        {
            let text = std::fs::read_to_string(&path)?;
            sources.entry(name.to_owned()).or_default().push_str(&text);
        }
    }
    let modules: BTreeSet<String> = sources.keys().cloned().collect();
    Ok(sources
        .iter()
        .map(|(module, text)| {
            let named = crate_paths(text)
                .into_iter()
                .filter(|other| other != module && modules.contains(other))
                .collect();
            (module.clone(), named)
        })
        .collect())
}

/// An axum routing call that bypasses the documented route table, if `line` has one.
pub fn plain_route(line: &str) -> Option<&'static str> {
    [".route(", ".route_service("]
        .into_iter()
        .find(|call| line.contains(call))
}

fn collect_rust(dir: &Path, text: &mut String) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_rust(&path, text)?;
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            text.push_str(&std::fs::read_to_string(&path)?);
            text.push('\n');
        }
    }
    Ok(())
}

/// The first segment of every `crate::` path in `text`, comment lines left out:
/// `crate::a::b` names `a`, `crate::{a::b, c}` names `a` and `c`.
pub fn crate_paths(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut named = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item_start = true;
            for (index, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 1 => item_start = true,
                    c if item_start && depth == 1 && (c.is_alphanumeric() || c == '_') => {
                        named.insert(identifier(&group[index..]));
                        item_start = false;
                    }
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
            }
        } else {
            named.insert(identifier(rest));
        }
    }
    named
}

fn identifier(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The strongly connected components of more than one module (Tarjan's algorithm), each
/// sorted.
pub fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, node: &'a str) {
            let order = self.index.len();
            self.index.insert(node, order);
            self.low.insert(node, order);
            self.stack.push(node);
            for next in self.graph.get(node).into_iter().flatten() {
                let next = next.as_str();
                if !self.graph.contains_key(next) {
                    continue;
                }
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next]);
                    self.low.insert(node, low);
                } else if self.stack.contains(&next) {
                    let low = self.low[node].min(self.index[next]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = Vec::new();
                while let Some(top) = self.stack.pop() {
                    component.push(top.to_owned());
                    if top == node {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !walk.index.contains_key(node.as_str()) {
            walk.visit(node);
        }
    }
    walk.found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_outside_the_table_are_found() {
        assert_eq!(plain_route(r#"    .route("/x", get(x))"#), Some(".route("));
        assert_eq!(
            plain_route("    .route_service(\"/x\", svc)"),
            Some(".route_service(")
        );
        assert_eq!(
            plain_route("        .routes(routes!(health::health_get))"),
            None
        );
        assert_eq!(plain_route(r#"    .nest("/api", api)"#), None);
    }

    fn graph(edges: &[(&str, &[&str])]) -> BTreeMap<String, BTreeSet<String>> {
        edges
            .iter()
            .map(|(from, to)| {
                (
                    (*from).to_owned(),
                    to.iter().map(|name| (*name).to_owned()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn paths_single_grouped_nested_and_commented() {
        let text = "use crate::a::b;\nuse crate::{\n    c::{d, e},\n    f,\n};\n\
                    // crate::g in a comment\nlet x = crate::h::run();\nmy_crate::i();";
        let named: Vec<String> = crate_paths(text).into_iter().collect();
        assert_eq!(named, ["a", "c", "f", "h"]);
    }

    #[test]
    fn cycles_found_and_acyclic_graphs_pass() {
        let acyclic = graph(&[("a", &["b", "c"]), ("b", &["c"]), ("c", &[])]);
        assert!(cycles(&acyclic).is_empty());
        let cyclic = graph(&[("a", &["b"]), ("b", &["c"]), ("c", &["a"]), ("d", &["a"])]);
        assert_eq!(cycles(&cyclic), vec![vec!["a", "b", "c"]]);
        let two = graph(&[("a", &["b"]), ("b", &["a"]), ("c", &["d"]), ("d", &["c"])]);
        assert_eq!(cycles(&two).len(), 2);
    }
}

//! `cargo xtask`: the commands of the README. `setup` installs what memlab needs on a bare
//! machine (wasm target, pinned Trunk and wasm-bindgen, data sets, Chromium for tests);
//! `demo` builds and serves the app; `test` runs every check CI runs (`lint` checks format,
//! clippy and the architecture invariants); `bench` measures.

mod datasets;
mod invariants;
mod tools;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

const USAGE: &str =
    "usage: cargo xtask <setup|build-web [--release]|demo [--release]|test|lint|bench|fuzz [runs]>";

/// Executions of each fuzz target when `cargo xtask fuzz` names no number.
const FUZZ_RUNS: u64 = 1_000_000;
/// The fuzz targets of `fuzz/`.
const FUZZ_TARGETS: [&str; 3] = ["idx", "image", "api_json"];

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    std::env::set_current_dir(&root)?;
    let release = args.iter().any(|arg| arg == "--release");
    match args.first().map(String::as_str) {
        Some("setup") => setup(false),
        Some("build-web") => build_web(release),
        Some("demo") => {
            setup(false)?;
            build_web(release)?;
            demo()
        }
        Some("lint") => lint(),
        Some("test") => {
            setup(true)?;
            let checker = tools::ensure_checker()?;
            lint()?;
            build_web(false)?;
            test(&checker)
        }
        Some("bench") => {
            setup(false)?;
            bench()
        }
        Some("fuzz") => {
            tools::ensure_fuzzing()?;
            let runs = match args.get(1) {
                Some(runs) => runs.parse().context("runs must be a whole number")?,
                None => FUZZ_RUNS,
            };
            fuzz(runs)
        }
        _ => bail!(USAGE),
    }
}

/// The workspace root (the parent of this crate), read at run time: the binary sits in a target
/// dir shared by every clone, so the path it was compiled in may belong to another clone.
fn workspace_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR")
        && let Some(parent) = Path::new(&dir).parent()
    {
        return parent.to_path_buf();
    }
    let mut dir = std::env::current_dir().unwrap_or_default();
    while !dir.join("xtask").is_dir() || !dir.join("Cargo.toml").is_file() {
        if !dir.pop() {
            return std::env::current_dir().unwrap_or_default();
        }
    }
    dir
}

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/root"))
}

/// A command with memlab's environment: one target dir outside the clone, shared by every
/// build (so CI after a session is warm), the data sets folder, and cargo's bin dir on PATH.
pub fn command(program: &str) -> Command {
    let mut command = Command::new(program);
    if std::env::var_os("CARGO_TARGET_DIR").is_none() {
        command.env("CARGO_TARGET_DIR", home().join(".cache/memlab/target"));
    }
    command.env("MEMLAB_DATASETS_DIR", datasets::datasets_dir());
    let cargo_bin = home().join(".cargo/bin");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths: Vec<PathBuf> = std::env::split_paths(&path).collect();
    if !paths.contains(&cargo_bin) {
        paths.insert(0, cargo_bin);
    }
    if let Ok(joined) = std::env::join_paths(paths) {
        command.env("PATH", joined);
    }
    command
}

/// Runs a command, failing with its name if it fails.
pub fn run(command: &mut Command) -> anyhow::Result<()> {
    eprintln!("xtask: {command:?}");
    let status = command
        .status()
        .with_context(|| format!("starting {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed with {status}");
    }
    Ok(())
}

fn cargo() -> Command {
    command(&std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn setup(browser: bool) -> anyhow::Result<()> {
    tools::ensure_wasm_target()?;
    tools::ensure_trunk()?;
    tools::ensure_wasm_bindgen()?;
    if browser {
        tools::ensure_chromium()?;
    }
    datasets::ensure_all()
}

fn build_web(release: bool) -> anyhow::Result<()> {
    let mut command = crate::command("trunk");
    command.arg("build");
    if release {
        command.arg("--release");
    }
    run(&mut command)
}

fn demo() -> anyhow::Result<()> {
    run(cargo().args([
        "run",
        "--package",
        "memlab-server",
        "--bin",
        "memlab",
        "--",
        "serve",
    ]))
}

fn lint() -> anyhow::Result<()> {
    run(cargo().args(["fmt", "--all", "--check"]))?;
    invariants::check()?;
    run(cargo().args(["clippy", "--all-targets", "--", "-D", "warnings"]))?;
    // The GPU training backend is type-checked, not built: no GPU here to run it on.
    run(cargo().args([
        "check",
        "--package",
        "memlab-server",
        "--features",
        "wgpu",
        "--bin",
        "memlab",
    ]))?;
    run(cargo().args([
        "clippy",
        "--package",
        "memlab-frontend",
        "--package",
        "memlab-shared",
        "--package",
        "memlab-charts",
        "--package",
        "memlab-kernels",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "web-dev",
        "--",
        "-D",
        "warnings",
    ]))
}

/// Every test; `checker` is the Python the browser test runs the independent bound checker with.
fn test(checker: &Path) -> anyhow::Result<()> {
    let dist = std::env::current_dir()?.join("dist");
    run(cargo()
        .env("MEMLAB_DIST_DIR", dist)
        .env("MEMLAB_CHECKER_PYTHON", checker)
        .args(["test", "--workspace", "--exclude", "memlab-frontend"]))
}

/// Runs every fuzz target `runs` times (nightly, cargo-fuzz, libFuzzer; no sanitizer: the code
/// is safe Rust, and a panic is the failure looked for), from the committed seeds and the
/// corpus of earlier runs, and prints the time each took. A crash fails the command and leaves
/// its input under `fuzz/artifacts/`.
fn fuzz(runs: u64) -> anyhow::Result<()> {
    let target_dir = home().join(".cache/memlab/fuzz-target");
    for target in FUZZ_TARGETS {
        let corpus = format!("corpus/{target}");
        std::fs::create_dir_all(Path::new("fuzz").join(&corpus))?;
        let started = std::time::Instant::now();
        run(command("cargo")
            .current_dir("fuzz")
            .env("CARGO_TARGET_DIR", &target_dir)
            .args(["+nightly", "fuzz", "run", "--sanitizer", "none", target])
            .arg(&corpus)
            .arg(format!("seeds/{target}"))
            .args([
                "--",
                &format!("-runs={runs}"),
                "-max_len=65536",
                "-rss_limit_mb=4096",
            ]))?;
        eprintln!(
            "xtask: fuzz target {target}: {runs} executions in {:.0} s, no crash",
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

fn bench() -> anyhow::Result<()> {
    run(command("bash").arg("bench/training_throughput.sh"))?;
    run(command("bash").arg("bench/bound_panel.sh"))?;
    run(command("bash").arg("bench/symmetry_lab.sh"))?;
    run(command("bash").arg("bench/load.sh"))?;
    run(command("bash").arg("bench/pytorch.sh"))?;
    run(command("bash").arg("bench/scattering_kymatio.sh"))?;
    run(command("bash").arg("bench/browser_latency.sh"))?;
    run(command("bash").arg("bench/patches_ablation.sh"))
}

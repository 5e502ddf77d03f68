//! Build tools at pinned versions, installed once per machine into cargo's bin dir.

use anyhow::{Context, bail};

use crate::{command, run};

/// Trunk's version: 0.22 needs a newer rustc than this toolchain.
const TRUNK_VERSION: &str = "0.21.14";
/// Must equal the `wasm-bindgen` version in Cargo.lock, or Trunk tries to download one.
const WASM_BINDGEN_VERSION: &str = "0.2.130";
/// numpy for the independent bound checker (`tests/checker/check_bounds.py`).
const NUMPY_VERSION: &str = "2.1.3";
/// cargo-fuzz for `cargo xtask fuzz`.
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// The first line a tool prints for `--version`, if it runs.
fn version_of(tool: &str) -> Option<String> {
    let output = command(tool).arg("--version").output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// `rustup target add wasm32-unknown-unknown` unless it is installed.
pub fn ensure_wasm_target() -> anyhow::Result<()> {
    let output = command("rustup")
        .args(["target", "list", "--installed"])
        .output();
    let installed =
        output.map(|o| String::from_utf8_lossy(&o.stdout).contains("wasm32-unknown-unknown"));
    if installed.unwrap_or(false) {
        return Ok(());
    }
    run(command("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

/// Trunk at [`TRUNK_VERSION`].
pub fn ensure_trunk() -> anyhow::Result<()> {
    if version_of("trunk").is_some_and(|v| v.ends_with(TRUNK_VERSION)) {
        return Ok(());
    }
    eprintln!(
        "xtask: installing trunk {TRUNK_VERSION} (once per machine; about 45 minutes on 2 cores)"
    );
    run(command("cargo").args(["install", "trunk", "--version", TRUNK_VERSION, "--locked"]))
}

/// The nightly toolchain and cargo-fuzz at [`CARGO_FUZZ_VERSION`] (for `cargo xtask fuzz`).
pub fn ensure_fuzzing() -> anyhow::Result<()> {
    run(command("rustup").args(["toolchain", "install", "nightly", "--profile", "minimal"]))?;
    if version_of("cargo-fuzz").is_some_and(|v| v.ends_with(CARGO_FUZZ_VERSION)) {
        return Ok(());
    }
    eprintln!("xtask: installing cargo-fuzz {CARGO_FUZZ_VERSION} (once per machine)");
    run(command("cargo").args([
        "install",
        "cargo-fuzz",
        "--version",
        CARGO_FUZZ_VERSION,
        "--locked",
    ]))
}

/// wasm-bindgen-cli at [`WASM_BINDGEN_VERSION`] (without `--locked`: its lock file names a
/// crate version the registry no longer has).
pub fn ensure_wasm_bindgen() -> anyhow::Result<()> {
    let lock = std::fs::read_to_string("Cargo.lock").context("reading Cargo.lock")?;
    if !lock.contains(&format!(
        "name = \"wasm-bindgen\"\nversion = \"{WASM_BINDGEN_VERSION}\""
    )) {
        bail!(
            "Cargo.lock's wasm-bindgen is not {WASM_BINDGEN_VERSION}: update WASM_BINDGEN_VERSION in xtask and Trunk.toml"
        );
    }
    if version_of("wasm-bindgen").is_some_and(|v| v.ends_with(WASM_BINDGEN_VERSION)) {
        return Ok(());
    }
    eprintln!("xtask: installing wasm-bindgen-cli {WASM_BINDGEN_VERSION} (once per machine)");
    run(command("cargo").args([
        "install",
        "wasm-bindgen-cli",
        "--version",
        WASM_BINDGEN_VERSION,
    ]))
}

/// Debian's Chromium and ChromeDriver, for the browser tests.
pub fn ensure_chromium() -> anyhow::Result<()> {
    let present = |path: &str| std::path::Path::new(path).exists();
    if present("/usr/bin/chromium") && present("/usr/bin/chromedriver") {
        return Ok(());
    }
    run(command("apt-get").arg("update"))?;
    run(command("apt-get")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y", "chromium", "chromium-driver"]))
}

/// The Python of a virtual environment (under `~/.cache/memlab/checker-venv`) with numpy at
/// [`NUMPY_VERSION`], for the independent bound checker; created once per machine.
pub fn ensure_checker() -> anyhow::Result<std::path::PathBuf> {
    let venv = crate::home().join(".cache/memlab/checker-venv");
    let python = venv.join("bin/python");
    let has_numpy = || {
        command(&python.to_string_lossy())
            .args([
                "-c",
                "import numpy, sys; sys.exit(numpy.__version__ != sys.argv[1])",
            ])
            .arg(NUMPY_VERSION)
            .status()
            .is_ok_and(|status| status.success())
    };
    if has_numpy() {
        return Ok(python);
    }
    let created = command("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .is_ok_and(|status| status.success());
    if !created {
        // Debian's python3 ships venv separately.
        run(command("apt-get").arg("update"))?;
        run(command("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "python3", "python3-venv"]))?;
        run(command("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    run(command(&python.to_string_lossy())
        .args(["-m", "pip", "install", "--quiet"])
        .arg(format!("numpy=={NUMPY_VERSION}")))?;
    if !has_numpy() {
        bail!(
            "numpy {NUMPY_VERSION} is not importable from {}",
            python.display()
        );
    }
    Ok(python)
}

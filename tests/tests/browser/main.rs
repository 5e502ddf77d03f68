//! The product end to end, as independent scenarios: each starts the real `memlab serve` on its
//! own data folder and drives its own headless Chromium (WebGPU enabled, the wasm CPU fallback
//! forced by link), so a failure names its scenario and the others still run.
//!
//! One scenario trains the demo on an empty folder (live progress in the browser, ≥ 98 % test
//! accuracy, bad input answered with JSON 4xx over a real socket, a second start reuses it). The
//! others start from a copy of a folder where the two demos are trained with their follow-up
//! panels done ([`trained`], built once per run of this binary), so none depends on another's
//! outcome. Screenshots land in `$CARGO_TARGET_DIR/tmp/*.png`.

mod analyses;
mod bounds;
mod experiments;
mod page;
mod probe;
mod studies;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use fantoccini::{Client, Locator};
use memlab_e2e::browser::{Driver, browser, start_driver};
use memlab_e2e::{TestApp, options};
use memlab_shared::api::{Experiment, JobStatus};
use tokio::sync::OnceCell;

/// A data folder where both demos are trained, their bound panels and the LeNet's invariance
/// probe done; no server runs on it.
struct Trained {
    dir: PathBuf,
    lenet: i64,
    mlp: i64,
}

static TRAINED: OnceCell<Trained> = OnceCell::const_new();

/// The ids of the two demos a server queued.
async fn demo_ids(app: &TestApp) -> anyhow::Result<(i64, i64)> {
    let list: Vec<Experiment> = app.get_json("/api/experiments").await?;
    let named = |name: &str| {
        list.iter()
            .find(|experiment| experiment.name == name)
            .map(|experiment| experiment.id)
            .with_context(|| format!("no demo named {name} in {list:?}"))
    };
    Ok((
        named("Demo: LeNet on MNIST")?,
        named("Demo: MLP on MNIST (SGD)")?,
    ))
}

/// The trained demos, built by the first scenario that asks (the others wait for it).
async fn trained() -> anyhow::Result<&'static Trained> {
    TRAINED
        .get_or_try_init(|| async {
            let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-demos");
            if dir.exists() {
                std::fs::remove_dir_all(&dir)?;
            }
            std::fs::create_dir_all(&dir)?;
            let app = TestApp::with_demos(&dir).await?;
            let (lenet, mlp) = demo_ids(&app).await?;
            app.wait_done(lenet, Duration::from_secs(900)).await?;
            app.wait_done(mlp, Duration::from_secs(600)).await?;
            bounds::stored_panel(&app, lenet).await?;
            bounds::stored_panel(&app, mlp).await?;
            analyses::stored_probe(&app, lenet, 500).await?;
            app.stop().await?;
            // The store's connections close after the server stops; SQLite then folds its log
            // into the database and removes it. Copies are made once that is done.
            for _ in 0..200 {
                let log = ["memlab.sqlite-wal", "memlab.sqlite-shm"];
                if log.iter().all(|name| !dir.join(name).exists()) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Ok(Trained { dir, lenet, mlp })
        })
        .await
}

/// Copies the folder `from` into `to`, recursively.
fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            match std::fs::copy(entry.path(), &target) {
                Ok(_) => {}
                // A file SQLite removed between listing and copying (its log, once folded in).
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => {
                    return Err(error)
                        .with_context(|| format!("copying {}", entry.path().display()));
                }
            }
        }
    }
    Ok(())
}

/// One scenario's server (on its own copy of the trained demos) and browser session.
struct Scenario {
    app: TestApp,
    driver: Driver,
    client: Client,
    lenet: i64,
    mlp: i64,
    data: tempfile::TempDir,
}

impl Scenario {
    async fn start() -> anyhow::Result<Self> {
        let trained = trained().await?;
        let data = tempfile::tempdir()?;
        copy_dir(&trained.dir, data.path())?;
        let app = TestApp::with_demos(data.path()).await?;
        let driver = start_driver()?;
        let client = browser(&driver).await?;
        Ok(Self {
            app,
            driver,
            client,
            lenet: trained.lenet,
            mlp: trained.mlp,
            data,
        })
    }

    /// The LeNet demo as the server answers it.
    async fn demo(&self) -> anyhow::Result<Experiment> {
        self.app
            .get_json(&format!("/api/experiments/{}", self.lenet))
            .await
    }

    /// Closes the browser and stops the server, then answers the scenario's outcome.
    async fn finish(self, outcome: anyhow::Result<()>) -> anyhow::Result<()> {
        let Self {
            app, client, data, ..
        } = self;
        let closed = client.close().await;
        let stopped = app.stop().await;
        drop(data);
        outcome?;
        closed?;
        stopped
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_trains_live_on_an_empty_folder_and_a_restart_reuses_it() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let app = TestApp::with_demos(data.path()).await?;
    let list: Vec<Experiment> = app.get_json("/api/experiments").await?;
    assert_eq!(list.len(), 2, "an empty store queues the two demos");
    let (id, _) = demo_ids(&app).await?;
    let driver = start_driver()?;
    let client = browser(&driver).await?;
    let outcome = async {
        experiments::check_live_training(&app, &client, id).await?;
        let demo = app.wait_done(id, Duration::from_secs(900)).await?;
        let metrics = demo.metrics.clone().context("done without metrics")?;
        eprintln!("demo: {metrics:?}");
        assert!(
            metrics.test_accuracy >= 0.98,
            "demo test accuracy {}",
            metrics.test_accuracy
        );
        assert_eq!(demo.curves.len(), demo.config.epochs);
        experiments::check_bad_input(&app, id).await?;
        client.goto(&app.url("/")).await?;
        let accuracy =
            page::wait_text(&client, &format!(".experiment[data-id='{id}'] .accuracy")).await?;
        assert!(accuracy.contains("test accuracy"), "{accuracy}");
        page::screenshot(&client, "gallery.png").await?;
        client.goto(&app.url(&format!("/experiments/{id}"))).await?;
        page::wait_for(&client, Locator::Css("#metrics")).await?;
        page::screenshot(&client, "experiment.png").await?;
        // Training curves: train and test accuracy at each epoch.
        bounds::check_chart(&client, "accuracy-chart", 2 * demo.config.epochs).await
    }
    .await;
    client.close().await?;
    outcome?;
    app.stop().await?;

    // A second start on the same folder reuses the demo: nothing new is queued or trained.
    let again = TestApp::spawn(options(
        data.path().to_owned(),
        Some(memlab_e2e::test_demo()),
    ))
    .await?;
    let list: Vec<Experiment> = again.get_json("/api/experiments").await?;
    assert_eq!(list.len(), 2, "the two demos, no new ones");
    let demo = list
        .iter()
        .find(|experiment| experiment.id == id)
        .context("demo kept")?;
    assert_eq!(demo.status, JobStatus::Done);
    again.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_page_agrees_with_the_server_on_webgpu_and_on_the_cpu() -> anyhow::Result<()> {
    let scenario = Scenario::start().await?;
    let outcome = async {
        let (app, client) = (&scenario.app, &scenario.client);
        let demo = scenario.demo().await?;
        let default_backend = probe::check_probe(app, client, &demo, "").await?;
        probe::check_share(app, &scenario.driver, client, demo.id).await?;
        // A new page load chooses its engine again, so the link can force the CPU fallback.
        let cpu_backend = probe::check_probe(app, client, &demo, "&backend=cpu").await?;
        eprintln!("backends: default {default_backend}, forced {cpu_backend}");
        assert_eq!(cpu_backend, "cpu");
        Ok(())
    }
    .await;
    scenario.finish(outcome).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_and_the_studio_inputs_agree_with_the_server() -> anyhow::Result<()> {
    let scenario = Scenario::start().await?;
    let outcome = async {
        let (app, client, id) = (&scenario.app, &scenario.client, scenario.lenet);
        probe::check_uploads(app, client, id).await?;
        probe::check_studio_inputs(app, &scenario.driver, client, id).await
    }
    .await;
    scenario.finish(outcome).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_experiment_form_refuses_bad_values_and_trains_a_cnn() -> anyhow::Result<()> {
    let scenario = Scenario::start().await?;
    let outcome = experiments::check_new_experiment(&scenario.app, &scenario.client).await;
    scenario.finish(outcome).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whitened_patch_model_from_the_form() -> anyhow::Result<()> {
    let scenario = Scenario::start().await?;
    let outcome = experiments::check_patch_model(&scenario.app, &scenario.client).await;
    scenario.finish(outcome).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scattering_network_from_the_form() -> anyhow::Result<()> {
    let scenario = Scenario::start().await?;
    let outcome =
        experiments::check_scattering_model(&scenario.app, &scenario.client, scenario.lenet).await;
    scenario.finish(outcome).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bound_panels_show_the_stored_numbers_and_recompute() -> anyhow::Result<()> {
    let scenario = Scenario::start().await?;
    let outcome = bounds::check_bound_panels(
        &scenario.app,
        &scenario.client,
        scenario.lenet,
        scenario.mlp,
    )
    .await;
    scenario.finish(outcome).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invariance_probe_and_lie_generators_from_the_page() -> anyhow::Result<()> {
    let scenario = Scenario::start().await?;
    let outcome = analyses::check_probes(&scenario.app, &scenario.client, scenario.lenet).await;
    scenario.finish(outcome).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn learned_symmetry_and_its_orbit_in_the_browser() -> anyhow::Result<()> {
    let scenario = Scenario::start().await?;
    let outcome = async {
        let (app, client, id) = (&scenario.app, &scenario.client, scenario.lenet);
        analyses::check_symmetry(app, client, id).await?;
        analyses::check_orbit(app, client, id).await
    }
    .await;
    scenario.finish(outcome).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn randomization_study_from_the_studies_page() -> anyhow::Result<()> {
    let scenario = Scenario::start().await?;
    let outcome = studies::check_study(&scenario.app, &scenario.client).await;
    scenario.finish(outcome).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn augmentation_study_from_the_studies_page() -> anyhow::Result<()> {
    let scenario = Scenario::start().await?;
    let outcome = studies::check_augmentation_study(&scenario.app, &scenario.client).await;
    scenario.finish(outcome).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_ablation_study_from_the_studies_page() -> anyhow::Result<()> {
    let scenario = Scenario::start().await?;
    let outcome = studies::check_patch_ablation(&scenario.app, &scenario.client).await;
    scenario.finish(outcome).await
}

//! Durability: a real `memlab serve` process killed with SIGKILL in the middle of training
//! loses nothing. At the next start the run is marked interrupted and goes on from its last
//! checkpoint, it ends with the metrics of an uninterrupted run with the same seed, the other
//! experiments are as they were, and SQLite's integrity check passes. SIGTERM stops a run
//! after its current step, mid-epoch, and it too ends as if never stopped.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use memlab_shared::api::{
    EpochMetrics, Experiment, ExperimentConfig, FinalMetrics, JobStatus, ModelKind, OptimizerKind,
};

/// A `memlab serve` child process and its address.
struct Server {
    child: Child,
    base: String,
    client: reqwest::Client,
}

impl Server {
    /// Starts the binary on a free port over `root`'s data folder (no demo).
    fn start(root: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_memlab"))
            .arg("serve")
            .arg("--data-dir")
            .arg(root.join("data"))
            .arg("--datasets-dir")
            .arg(root.join("datasets"))
            .arg("--static-dir")
            .arg(root.join("dist"))
            .args(["--addr", "127.0.0.1:0", "--no-demo"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("memlab serve starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("the server prints its address")
                .expect("stdout");
            if let Some(rest) = line.strip_prefix("memlab is serving on ") {
                break rest.trim_end_matches('/').to_owned();
            }
        };
        // Keep reading, so a later print never meets a closed pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Server {
            child,
            base,
            client: reqwest::Client::new(),
        }
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        assert!(
            response.status().is_success(),
            "GET {path}: {}",
            response.status()
        );
        response.json().await.expect("JSON")
    }

    async fn create(&self, config: &ExperimentConfig) -> i64 {
        let response = self
            .client
            .post(format!("{}/api/experiments", self.base))
            .json(config)
            .send()
            .await
            .expect("POST");
        assert_eq!(response.status(), reqwest::StatusCode::CREATED);
        response.json::<Experiment>().await.expect("JSON").id
    }

    async fn wait_done(&self, id: i64) -> Experiment {
        let started = Instant::now();
        loop {
            let experiment: Experiment = self.get(&format!("/api/experiments/{id}")).await;
            match experiment.status {
                JobStatus::Done => return experiment,
                JobStatus::Queued | JobStatus::Running => {}
                other => panic!("experiment {id} is {other:?}: {:?}", experiment.error),
            }
            assert!(
                started.elapsed() < Duration::from_secs(900),
                "{id} did not finish"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// SIGKILL: no shutdown code runs.
    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    /// SIGTERM, then waits (a minute at most) for a clean exit.
    fn terminate(mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(status.success());
        let started = Instant::now();
        loop {
            if let Some(exit) = self.child.try_wait().expect("wait") {
                assert!(exit.success(), "memlab serve exited with {exit}");
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no exit within a minute of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn config(name: &str, n_train: usize, epochs: usize) -> ExperimentConfig {
    ExperimentConfig {
        name: Some(name.into()),
        dataset: "glasses".into(),
        model: ModelKind::Lenet,
        n_train: Some(n_train),
        epochs,
        seed: 5,
        learning_rate: 1e-3,
        batch_size: 64,
        optimizer: OptimizerKind::Adam,
        randomization: Default::default(),
        stop_at_train_accuracy: None,
        augmentation: Default::default(),
        patches: Default::default(),
        scattering: Default::default(),
    }
}

/// Curves and metrics without the timings.
fn timeless(experiment: &Experiment) -> (Vec<EpochMetrics>, FinalMetrics) {
    let curves = experiment
        .curves
        .iter()
        .map(|c| EpochMetrics {
            images_per_second: 0.0,
            ..c.clone()
        })
        .collect();
    let metrics = FinalMetrics {
        train_seconds: 0.0,
        ..experiment.metrics.clone().expect("metrics")
    };
    (curves, metrics)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_mid_training_goes_on_from_its_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let server = Server::start(root);
    let before = server.create(&config("finished before", 256, 1)).await;
    server.wait_done(before).await;
    let run = config("killed mid-run", 3000, 4);
    let id = server.create(&run).await;

    // Kill it once a checkpoint is on disk and the run is still training.
    let files = memlab_store::LocalDir::new(root.join("data"));
    let checkpoint = |id: i64| memlab_store::checkpoint::load(&files, id);
    let started = Instant::now();
    while checkpoint(id).is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "no checkpoint"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let listed: Vec<Experiment> = server.get("/api/experiments").await;
    let running = listed.iter().find(|e| e.id == id).expect("listed");
    assert_eq!(running.status, JobStatus::Running, "killed mid-run");
    server.kill();
    let saved_epochs = checkpoint(id).expect("checkpoint").progress.epochs_done;
    assert!((1..run.epochs).contains(&saved_epochs), "{saved_epochs}");

    // The next start: the same list, the run going on from its checkpoint to the end.
    let server = Server::start(root);
    let after: Vec<Experiment> = server.get("/api/experiments").await;
    let names = |list: &[Experiment]| -> Vec<(i64, String)> {
        list.iter().map(|e| (e.id, e.name.clone())).collect()
    };
    assert_eq!(names(&after), names(&listed));
    let resumed = server.wait_done(id).await;
    assert_eq!(resumed.resumed_from_epoch, Some(saved_epochs));
    assert_eq!(resumed.curves.len(), run.epochs);
    let untouched = server
        .get::<Experiment>(&format!("/api/experiments/{before}"))
        .await;
    assert_eq!(untouched.status, JobStatus::Done);
    assert!(
        checkpoint(id).is_none(),
        "a finished run's checkpoint is deleted"
    );

    // SIGTERM in the middle of an epoch: the run checkpoints after its current step, the
    // server exits cleanly, and the run is interrupted with a message saying so.
    let terminated = server.create(&config("terminated", 3000, 4)).await;
    let started = Instant::now();
    loop {
        let experiment: Experiment = server.get(&format!("/api/experiments/{terminated}")).await;
        if experiment
            .progress
            .is_some_and(|p| p.epoch >= 2 && p.step >= 5)
        {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(600), "no progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.terminate();
    let saved = checkpoint(terminated).expect("checkpoint").progress;
    let (epochs, step) = (saved.epochs_done, saved.step);
    assert!(epochs >= 1 && step >= 1, "{saved:?}");
    {
        let pool = memlab_store::connect(&root.join("data"))
            .await
            .expect("store");
        let stopped = memlab_store::experiments::get(&pool, terminated)
            .await
            .expect("read")
            .expect("stored");
        assert_eq!(stopped.status, JobStatus::Interrupted);
        assert!(
            stopped
                .error
                .as_deref()
                .is_some_and(|e| e.contains("shut down")),
            "{:?}",
            stopped.error
        );
        pool.close().await;
    }
    let server = Server::start(root);
    let finished = server.wait_done(terminated).await;
    assert_eq!(finished.resumed_from_epoch, Some(epochs));

    // The same run, never stopped, ends with the same numbers as both.
    let whole = server
        .wait_done(server.create(&config("never stopped", 3000, 4)).await)
        .await;
    assert_eq!(whole.resumed_from_epoch, None);
    assert_eq!(timeless(&resumed), timeless(&whole));
    assert_eq!(timeless(&finished), timeless(&whole));
    server.kill();

    let pool = memlab_store::connect(&root.join("data"))
        .await
        .expect("store");
    let (check,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .expect("integrity check");
    assert_eq!(check, "ok");
}

//! `memlab symmetry`: a learned symmetry L_θ of a finished run, stored and printed with its
//! scores against the ground truth where the data set has one.

use base64::Engine;

use super::common::{Common, run_analysis};
use clap::Args;
use memlab_science::symmetry;
use memlab_server::jobs::symmetry::Symmetry;
use memlab_shared::symmetry::{SymmetryMode, SymmetryRequest, SymmetrySearch};

#[derive(Debug, Args)]
pub(crate) struct SymmetryArgs {
    #[command(flatten)]
    common: Common,
    /// The experiment's id.
    #[arg(long)]
    experiment: i64,
    /// What L must keep.
    #[arg(long, value_enum, default_value = "from-phi")]
    mode: SymmetryMode,
    /// Generator steps.
    #[arg(long)]
    steps: Option<usize>,
    /// Images per step.
    #[arg(long)]
    batch_size: Option<usize>,
    /// Adam step size of both networks.
    #[arg(long)]
    learning_rate: Option<f64>,
    /// λ_adv, weight of the adversarial term.
    #[arg(long)]
    adversarial_weight: Option<f64>,
    /// λ_nt, weight of the non-triviality term.
    #[arg(long)]
    nontrivial_weight: Option<f64>,
    /// τ, the least RMS change of an image.
    #[arg(long)]
    min_change: Option<f64>,
    /// q, the fraction of (2×2-pooled) pixels, those that change most, over which τ is
    /// measured (1: the whole image).
    #[arg(long)]
    change_fraction: Option<f64>,
    /// λ_inv, weight of the involution term ‖L(L x) − x‖².
    #[arg(long)]
    involution_weight: Option<f64>,
    /// λ_1, weight of the mean of L's mask (sparsity).
    #[arg(long)]
    sparsity_weight: Option<f64>,
    /// Discriminator steps per generator step.
    #[arg(long)]
    discriminator_steps: Option<usize>,
    /// λ_flip, weight of the flip term through the discovered splitter (0: no discovery).
    #[arg(long)]
    flip_weight: Option<f64>,
    /// Self-training rounds of the splitter.
    #[arg(long)]
    splitter_rounds: Option<usize>,
    /// Where L starts: `game` (the identity) or `reflection` (the best latent reflection,
    /// distilled, then the game).
    #[arg(long, value_enum)]
    search: Option<SymmetrySearch>,
    /// Diagnosis only: regression steps onto the oracle pairs (x, L* x) before the game.
    #[arg(long)]
    basin_steps: Option<usize>,
    /// Seed of the networks and batches.
    #[arg(long)]
    seed: Option<u64>,
}

pub(crate) async fn symmetry(args: SymmetryArgs) -> anyhow::Result<()> {
    let mode = args.mode;
    let request = SymmetryRequest {
        steps: args.steps,
        batch_size: args.batch_size,
        learning_rate: args.learning_rate,
        adversarial_weight: args.adversarial_weight,
        nontrivial_weight: args.nontrivial_weight,
        min_change: args.min_change,
        change_fraction: args.change_fraction,
        involution_weight: args.involution_weight,
        sparsity_weight: args.sparsity_weight,
        discriminator_steps: args.discriminator_steps,
        flip_weight: args.flip_weight,
        splitter_rounds: args.splitter_rounds,
        search: args.search,
        basin_steps: args.basin_steps,
        sample_every: None,
        seed: args.seed,
    };
    symmetry::settings(&request).map_err(anyhow::Error::msg)?;
    let (experiment, report) =
        run_analysis(&args.common, args.experiment, &Symmetry(mode), &request).await?;
    println!(
        "experiment {}: L_θ {} in {:.1} s on {}",
        experiment.id,
        mode.label(),
        report.seconds,
        report.device
    );
    if let Some(label_model) = &report.label_model {
        println!(
            "  f̂ (the from-f keep term's classifier): {}; test accuracy {:.3}, agrees with Φ on {:.3}",
            label_model.description, label_model.test_accuracy, label_model.agreement_with_phi
        );
    }
    if let Some(discovery) = &report.discovery {
        println!(
            "  discovery: {} groups by {}; clustering agrees with the truth on {}",
            discovery.groups,
            discovery.grouping,
            share(discovery.cluster_agreement)
        );
        for round in &discovery.rounds {
            println!(
                "    splitter round {}: relabelled {:.3}, test agreement {} (worst class {}), nuisance consistency {:.3}, balance {:.2}–{:.2}",
                round.round,
                round.relabelled,
                share(round.test_agreement),
                share(round.worst_group_agreement),
                round.augmentation_consistency,
                round.balance_low,
                round.balance_high
            );
        }
    }
    if let Some(reflection) = &report.reflection {
        println!(
            "  latent reflection: autoencoder of {} training images, codes of {}, test reconstruction RMS {:.4}; chosen: {} ({})",
            reflection.images,
            reflection.latent,
            reflection.reconstruction_rms,
            reflection.chosen + 1,
            reflection.rule
        );
        for (k, candidate) in reflection.candidates.iter().enumerate() {
            println!(
                "    {}. {}: bimodality {:.3}, aligned share {}, kept {:.3}, change {:.4}, splitter flips {}, toggled {} (on → off {}, off → on {}; scored only), identity kept {}",
                k + 1,
                candidate.name,
                candidate.bimodality,
                candidate
                    .aligned_share
                    .map_or("–".to_owned(), |v| format!("{v:.3}")),
                candidate.kept,
                candidate.mean_change,
                share(candidate.splitter_flip_rate),
                share(candidate.toggle_rate),
                share(candidate.on_to_off),
                share(candidate.off_to_on),
                share(candidate.identity_kept)
            );
        }
        println!(
            "    distilled into L_θ by {} regression steps ({}): RMS from the chosen edit on test {:.4}",
            reflection.distill_steps,
            reflection.distillation(),
            reflection.distill_rms
        );
        if let Some(edit) = reflection.edit_truth_rms {
            println!(
                "    the chosen edit's own RMS from L* x on those test images (scored only): {edit:.4}"
            );
        }
        if !reflection.modes.is_empty() {
            println!("    congealing's two modes per class (side 1: one polarity for all):");
        }
        for found in &reflection.modes {
            let shape = found
                .shape
                .map(|shape| format!(": {}", shape.describe()))
                .unwrap_or_default();
            println!(
                "      {} ({} images): {:.0} % on side 1, aligned share {:.3}{shape}",
                found.name,
                found.images,
                100.0 * found.side_one,
                found.explained
            );
        }
    }
    let every = (report.history.len() / 10).max(1);
    for step in report.history.iter().step_by(every) {
        println!(
            "  step {:>6}  keep {:.4}  adv {:.4}  nt {:.4}  inv {:.4}  mask {:.4}  flip {:.4}  D loss {:.4}  D acc {:.3}  change {:.4}",
            step.step,
            step.keep,
            step.adversarial,
            step.nontriviality,
            step.involution,
            step.sparsity,
            step.flip,
            step.discriminator_loss,
            step.discriminator_accuracy,
            step.mean_change
        );
    }
    if let Some(basin) = &report.basin {
        let points: Vec<String> = basin
            .checkpoints
            .iter()
            .map(|(step, rate)| format!("step {step}: {rate:.3}"))
            .collect();
        println!(
            "  basin test (diagnosis: L fitted to the oracle pairs for {} steps first), toggle rate on {} test faces: {}",
            basin.regression_steps,
            basin.n,
            points.join(", ")
        );
    }
    if let Some(rate) = report.splitter_flip_rate {
        println!("  splitter flips its decision on {rate:.3} of test images");
        let by_class: Vec<String> = report
            .splitter_flip_by_class
            .iter()
            .enumerate()
            .map(|(class, rate)| format!("{class}: {rate:.2}"))
            .collect();
        println!("  by class: {}", by_class.join(", "));
    }
    println!(
        "  test ({} images): prediction kept {:.3}, accuracy on L x {:.3}, mean change {:.4}, D accuracy {:.3}, Fréchet {:.3} ({})",
        report.n_test,
        report.prediction_kept,
        report.accuracy_on_transformed,
        report.mean_change,
        report.discriminator_accuracy,
        report.frechet_distance,
        report.frechet_features
    );
    let effects: Vec<String> = report
        .by_class
        .iter()
        .map(|effect| {
            let shape = effect
                .shape
                .map(|shape| format!(" ({})", shape.describe()))
                .unwrap_or_default();
            format!(
                "{} change {:.4} kept {:.2}{shape}",
                effect.name, effect.mean_change, effect.prediction_kept
            )
        })
        .collect();
    if !effects.is_empty() {
        println!("  per class (test): {}", effects.join("; "));
    }
    if let Some(truth) = &report.ground_truth {
        println!(
            "  ground truth: glasses on → off {:.3}, off → on {:.3}; Fréchet distance of L* x {}",
            truth.toggle_on_to_off,
            truth.toggle_off_to_on,
            share(truth.truth_frechet_distance)
        );
        println!(
            "  ground truth: toggle rate {:.3}, identity kept {:.3}, RMS to L* x {:.4} (L* moves {:.4}); oracles: glasses {:.3}, identity {:.3}, L* toggles {:.3}; L* keeps Φ's prediction {:.3} at keep cost {:.4}",
            truth.toggle_rate,
            truth.identity_kept,
            truth.distance_to_truth,
            truth.truth_change,
            truth.glasses_oracle_accuracy,
            truth.identity_oracle_accuracy,
            truth.truth_toggle_rate,
            truth.truth_prediction_kept,
            truth.truth_keep
        );
        println!(
            "  objective on test images: L {}; L* {} (D calls {:.3} of L* x real)",
            objective_terms(&report.objective),
            objective_terms(&truth.truth_objective),
            truth.truth_judged_real
        );
        println!(
            "  {}",
            report
                .objective
                .equilibrium_verdict(&truth.truth_objective, &report.settings)
        );
    } else {
        println!(
            "  objective on test images: L {}",
            objective_terms(&report.objective)
        );
    }
    for reference in &report.references {
        let identity = reference.identity_kept.map_or_else(String::new, |kept| {
            format!(", identity oracle keeps {kept:.3}")
        });
        println!(
            "  transform as L, {}: {} (Φ keeps {:.3}, D calls {:.3} real{identity}; at the equilibrium {:.4})",
            reference.name,
            objective_terms(&reference.objective),
            reference.prediction_kept,
            reference.judged_real,
            reference.objective.at_equilibrium(&report.settings)
        );
    }
    if let Some(truth) = &report.ground_truth {
        let rivals = memlab_shared::symmetry::rivals_of_truth(
            &report.references,
            &truth.truth_objective,
            &report.settings,
        );
        let names: Vec<&str> = rivals.iter().map(|r| r.name.as_str()).collect();
        println!(
            "  transforms that could score below L* at the equilibrium (L*: {:.4}): {}",
            truth.truth_objective.at_equilibrium(&report.settings),
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        );
    }
    if let Some(last) = report.samples.last() {
        let path =
            args.common
                .data_dir
                .join(format!("symmetry-{}-{}.png", experiment.id, mode.as_str()));
        let png = last
            .png
            .strip_prefix("data:image/png;base64,")
            .map(|text| base64::engine::general_purpose::STANDARD.decode(text))
            .transpose()?
            .unwrap_or_default();
        std::fs::write(&path, png)?;
        println!("  last sample grid: {}", path.display());
    }
    Ok(())
}

/// A fraction with three decimals, or "n/a".
pub(crate) fn share(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.3}"))
}

/// An objective's total and terms, on one line.
pub(crate) fn objective_terms(objective: &memlab_shared::symmetry::Objective) -> String {
    format!(
        "{:.4} (keep {:.4}, adv {:.4}, nt {:.4}, inv {:.4}, mask {:.4})",
        objective.total,
        objective.keep,
        objective.adversarial,
        objective.nontriviality,
        objective.involution,
        objective.sparsity
    )
}

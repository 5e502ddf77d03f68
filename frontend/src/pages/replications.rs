//! Replications: one row per published claim the lab rests on — the paper's number, memlab's
//! from runs on this server (linked), the verdict with its tolerance, and a small plot.

use leptos::prelude::*;
use leptos::task::spawn_local;
use memlab_charts::line::Line;
use memlab_shared::api::Health;
use memlab_shared::replications::{Evidence, Replication, Verdict};

use crate::api;
use crate::components::LineChart;

/// The admin's button that queues a claim's runs, and what it queued (or why not).
#[component]
fn QueueButton(key: String) -> impl IntoView {
    let answer = RwSignal::new(None::<Result<Vec<Evidence>, String>>);
    let busy = RwSignal::new(false);
    let queue = move |_| {
        let key = key.clone();
        busy.set(true);
        spawn_local(async move {
            let result = api::post_json::<_, Vec<Evidence>>(
                &format!("/api/replications/{key}"),
                &serde_json::json!({}),
            )
            .await;
            answer.set(Some(result));
            busy.set(false);
        });
    };
    view! {
        <button class="queue-replication" on:click=queue disabled=move || busy.get()>
            "Queue its runs"
        </button>
        {move || answer.get().map(|result| match result {
            Ok(queued) => view! {
                <ul class="evidence queued">
                    {queued.into_iter().map(|e| view! {
                        <li>"queued: "<a href=e.href>{e.label}</a></li>
                    }).collect_view()}
                </ul>
            }.into_any(),
            Err(message) => view! { <p class="error">{message}</p> }.into_any(),
        })}
    }
}

/// One claim.
#[component]
fn ReplicationRow(row: Replication, can_queue: bool) -> impl IntoView {
    let verdict = row.verdict();
    let class = match verdict {
        Verdict::Reproduced => "verdict reproduced",
        Verdict::Differs => "verdict differs",
        Verdict::NotYetRun => "verdict not-run",
    };
    let measured = row.measured.clone();
    let plot = measured.as_ref().and_then(|m| m.plot.clone());
    view! {
        <tr class="replication" data-key=row.key.clone() data-verdict=verdict.label()>
            <td>
                <strong>{row.paper.clone()}</strong>
                <div class="muted">{row.source.clone()}</div>
            </td>
            <td>
                {row.claim.clone()}
                <div class="muted">{format!("Size: {}", row.size)}</div>
            </td>
            <td>{row.paper_value.clone()}</td>
            <td class="measured">
                {measured.map_or_else(
                    || view! { <span class="muted">"no run on this server yet"</span> }.into_any(),
                    |m| view! { <span>{m.value}</span> }.into_any(),
                )}
                <ul class="evidence">
                    {row.evidence.iter().map(|e| view! {
                        <li><a href=e.href.clone()>{e.label.clone()}</a></li>
                    }).collect_view()}
                </ul>
            </td>
            <td>
                <span class=class>{verdict.label()}</span>
                <div class="muted">{row.tolerance.clone()}</div>
                {(can_queue && row.runnable).then(|| view! { <QueueButton key=row.key.clone() /> })}
            </td>
            <td class="plot">
                {plot.map(|plot| {
                    let lines = plot
                        .series
                        .into_iter()
                        .map(|series| Line::new(series.name, series.points))
                        .collect();
                    view! {
                        <LineChart title=row.key.clone() x_label=plot.x_label y_label=plot.y_label lines />
                    }
                })}
            </td>
        </tr>
    }
}

/// The page.
#[component]
pub fn ReplicationsPage() -> impl IntoView {
    let rows = LocalResource::new(|| async {
        let health = api::get_json::<Health>("/api/health").await?;
        let rows = api::get_json::<Vec<Replication>>("/api/replications").await?;
        Ok::<_, String>((health, rows))
    });
    view! {
        <h1>"Replications"</h1>
        <p class="muted">
            "Each row is a published claim the lab's questions rest on. memlab's number comes from \
             runs on this server (linked under it), read with the tolerance stated next to the \
             verdict; nothing is typed in. Runs here are smaller than the papers' (the size is said \
             on each row): `memlab replicate --quick` queues the cheap ones. A public server shows \
             the page read-only."
        </p>
        <Transition fallback=|| view! { <p class="muted">"Loading the claims…"</p> }>
            {move || rows.get().map(|result| match result {
                Ok((health, rows)) => {
                    let can_queue = !health.read_only;
                    let count = |v: Verdict| rows.iter().filter(|r| r.verdict() == v).count();
                    let summary = format!(
                        "{} claims: {} reproduced, {} differ, {} not yet run.",
                        rows.len(),
                        count(Verdict::Reproduced),
                        count(Verdict::Differs),
                        count(Verdict::NotYetRun)
                    );
                    view! {
                        <p id="replications-summary">{summary}</p>
                        <table id="replications" class="replications">
                            <tr>
                                <th>"paper"</th><th>"claim"</th><th>"paper's number"</th>
                                <th>"memlab's number (runs)"</th><th>"verdict (tolerance)"</th><th>"plot"</th>
                            </tr>
                            {rows.into_iter().map(|row| view! { <ReplicationRow row can_queue /> }).collect_view()}
                        </table>
                    }.into_any()
                }
                Err(message) => view! {
                    <p class="error" id="page-error">{format!("Could not load the claims: {message}")}</p>
                }.into_any(),
            })}
        </Transition>
    }
}

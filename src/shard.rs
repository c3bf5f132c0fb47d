//! Split runs: `check --shard i/N` and `simulate --shard i/N` each write a shard document
//! (JSON), and `merge` combines the N documents into exactly what one unsplit run prints —
//! the same verdicts, minimal counterexamples, brackets and Monte Carlo figures, bit for bit.
//!
//! - `check`: a claim whose domain is enumerated exactly (integer ranges, sets, fixed values;
//!   no real parameter, sampled range or search) is split point by point: every shard walks
//!   the whole enumeration (so point counts and point budgets are the whole run's) and
//!   decides the points whose index is its own modulo N; merging adds the counts and keeps
//!   the counterexample of the smallest index. A claim with real parameters is split by
//!   the integer points under its boxes: each shard decides its points' boxes as a sweep's
//!   first point would be, and the merge replays one run's sweep with those answers
//!   ([`crate::decide::merge_boxes`]: an answer is taken only where the relation's state is
//!   still a first point's). Any other claim is decided whole by shard `k mod N` (k its
//!   position in the files), since its relaxation and searches carry state from point to
//!   point. The merge re-runs what follows a sweep in one run: identities on the domain and
//!   the kernel's re-check.
//! - `simulate`: shard i of N runs the replicas (stream numbers) `[iR/N, (i+1)R/N)` and
//!   keeps every replica's measurements (as f64 bit patterns); the merge summarises them in
//!   replica order, as one run does.
//!
//! Shards must run the same stabcert version on the same files and options (checked: the
//! files' SHA-256, the budgets, the seed); a run cut short by a time budget is not
//! reproducible by any split, and is reported as each shard saw it.

use crate::cli::{self, Budgets, CliError};
use crate::decide::{Shard, Verdict};
use crate::pipeline::{self, ShardPart};
use crate::report;
use crate::sgd::sim::ReplicaOut;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// Parses `i/N`, 1 <= i <= N (the shard numbers of a job array), into a [`Shard`] (index
/// from 0).
pub fn parse_shard(s: &str) -> Result<Shard, String> {
    let bad = || format!("`{s}`: a shard is i/N with 1 <= i <= N, e.g. 2/8");
    let (i, n) = s.split_once('/').ok_or_else(bad)?;
    let i: u64 = i.trim().parse().map_err(|_| bad())?;
    let n: u64 = n.trim().parse().map_err(|_| bad())?;
    if i == 0 || i > n {
        return Err(bad());
    }
    Ok(Shard {
        index: i - 1,
        count: n,
    })
}

fn shard_json(sh: Shard) -> Value {
    json!({ "index": sh.index + 1, "count": sh.count })
}

fn to_text(doc: &Value) -> Result<String, CliError> {
    serde_json::to_string_pretty(doc).map_err(|e| CliError::Internal(e.to_string()))
}

/// The budgets as a shard document records them (shards must agree on them).
fn budgets_json(b: &Budgets) -> Value {
    let o = b.options();
    json!({
        "time_per_claim_ns": o.time_per_claim.as_nanos().to_string(),
        "boxes": o.max_boxes,
        "points": o.max_points,
        "seed": o.seed,
    })
}

/// The decision options a shard document records ([`budgets_json`]): the merge replays
/// the sweeps of claims with real parameters under them.
fn options_of(name: &str, v: &Value) -> Result<crate::decide::Options, CliError> {
    let bad = || CliError::Input(format!("{name}: `options` unreadable"));
    let nanos: u64 = v["time_per_claim_ns"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    Ok(crate::decide::Options {
        time_per_claim: std::time::Duration::from_nanos(nanos),
        max_boxes: v["boxes"].as_u64().ok_or_else(bad)?,
        max_points: v["points"].as_u64().ok_or_else(bad)?,
        seed: v["seed"].as_u64().ok_or_else(bad)?,
        ..Default::default()
    })
}

/// `stabcert check [PATH]... --shard i/N [--only ID]... [budgets]`: this shard's part of
/// every claim, as a `check-shard` document.
pub fn check_shard_document(
    paths: &[PathBuf],
    only: &[String],
    budgets: &Budgets,
    shard: Shard,
) -> Result<Value, CliError> {
    let catalogue = cli::load_catalogue(paths)?;
    let bar = pipeline::progress_bar(catalogue.claims.len() as u64, "claims");
    let done = |_k: usize| {
        if let Some(b) = &bar {
            b.inc(1);
        }
    };
    let parts = pipeline::decide_shard(&catalogue.claims, only, &budgets.options(), shard, &done)?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(report::document(
        "check-shard",
        json!({
            "shard": shard_json(shard),
            "paths": paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "only": only,
            "options": budgets_json(budgets),
            "paper": catalogue.paper,
            "files": catalogue.files,
            "parts": parts,
        }),
    ))
}

/// [`check_shard_document`] as text.
pub fn check_shard_command(
    paths: &[PathBuf],
    only: &[String],
    budgets: &Budgets,
    shard: Shard,
) -> Result<String, CliError> {
    to_text(&check_shard_document(paths, only, budgets, shard)?)
}

/// The replicas of shard `sh` among `replicas`: `[iR/N, (i+1)R/N)`.
pub fn replica_range(replicas: u64, sh: Shard) -> std::ops::Range<u64> {
    let at = |i: u64| (u128::from(replicas) * u128::from(i) / u128::from(sh.count)) as u64;
    at(sh.index)..at(sh.index + 1)
}

/// `stabcert simulate CONFIG --shard i/N [--replicas R] [--seed S]`: this shard's
/// replicas, each one's measurements at every checkpoint, as a `simulate-shard` document.
pub fn simulate_shard_document(
    path: &Path,
    replicas: Option<u64>,
    seed: Option<u64>,
    shard: Shard,
) -> Result<Value, CliError> {
    let run = cli::load_simulation(path, replicas, seed)?;
    let range = replica_range(run.replicas, shard);
    let bar = pipeline::progress_bar(range.end - range.start, "replicas");
    let tick = || {
        if let Some(b) = &bar {
            b.inc(1);
        }
    };
    let outs = run.cfg.sim.replicas(range.clone(), run.seed, &tick);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let bits = |xs: &[f64]| xs.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
    let results: Vec<Value> = outs
        .iter()
        .map(|o| {
            json!({
                "dist": bits(&o.dist),
                "probe": bits(&o.probe),
                "non_finite": o.non_finite,
            })
        })
        .collect();
    Ok(report::document(
        "simulate-shard",
        json!({
            "shard": shard_json(shard),
            "config_file": path.display().to_string(),
            "config": run.echo(),
            "seed": run.seed,
            "replicas": run.replicas,
            "first_replica": range.start,
            "results": results,
        }),
    ))
}

/// [`simulate_shard_document`] as text.
pub fn simulate_shard_command(
    path: &Path,
    replicas: Option<u64>,
    seed: Option<u64>,
    shard: Shard,
) -> Result<String, CliError> {
    to_text(&simulate_shard_document(path, replicas, seed, shard)?)
}

/// `stabcert merge FILE... [--json] [--fail-on V,...]`: reads the shard documents and
/// prints what one run would.
pub fn merge_command(
    files: &[PathBuf],
    json: bool,
    fail_on: &[Verdict],
) -> Result<String, CliError> {
    let mut docs = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(f)
            .map_err(|e| CliError::Input(format!("{}: cannot read: {e}", f.display())))?;
        let v: Value = serde_json::from_str(&text).map_err(|e| {
            CliError::Input(format!(
                "{}:{}:{}: not a JSON document: {e}",
                f.display(),
                e.line(),
                e.column()
            ))
        })?;
        docs.push((f.display().to_string(), v));
    }
    merge_documents(&docs, json, fail_on)
}

/// Merges shard documents given as `(name, document)` (the name for messages): all
/// `check-shard` or all `simulate-shard`, one per shard of the same run.
pub fn merge_documents(
    docs: &[(String, Value)],
    json: bool,
    fail_on: &[Verdict],
) -> Result<String, CliError> {
    let Some((first_name, first)) = docs.first() else {
        return Err(CliError::Input("merge: no shard documents given".into()));
    };
    let kind = first["document"].as_str().unwrap_or("");
    if kind != "check-shard" && kind != "simulate-shard" {
        return Err(CliError::Input(format!(
            "{first_name}: not a shard document (written by `check --shard` or `simulate --shard`)"
        )));
    }
    // the same run: every field but the shard's own part agrees
    let own: &[&str] = match kind {
        "check-shard" => &["shard", "parts"],
        _ => &["shard", "first_replica", "results"],
    };
    let count = first["shard"]["count"].as_u64().unwrap_or(0);
    let mut by_index: Vec<Option<&(String, Value)>> = vec![None; count as usize];
    for d in docs {
        let (name, v) = d;
        let (Some(a), Some(b)) = (v.as_object(), first.as_object()) else {
            return Err(CliError::Input(format!("{name}: not a shard document")));
        };
        let differs = a
            .keys()
            .chain(b.keys())
            .find(|k| !own.contains(&k.as_str()) && a.get(*k) != b.get(*k));
        if let Some(k) = differs {
            return Err(CliError::Input(format!(
                "{name}: `{k}` differs from {first_name}'s: the shards are not of one run"
            )));
        }
        if v["shard"]["count"].as_u64() != Some(count) {
            return Err(CliError::Input(format!(
                "{name}: shard count differs from {first_name}'s"
            )));
        }
        let i = v["shard"]["index"].as_u64().unwrap_or(0);
        let slot = (1..=count)
            .contains(&i)
            .then(|| &mut by_index[(i - 1) as usize])
            .ok_or_else(|| CliError::Input(format!("{name}: shard index out of range")))?;
        if slot.is_some() {
            return Err(CliError::Input(format!(
                "{name}: shard {i}/{count} given twice"
            )));
        }
        *slot = Some(d);
    }
    let missing: Vec<String> = (0..count as usize)
        .filter(|i| by_index[*i].is_none())
        .map(|i| format!("{}/{count}", i + 1))
        .collect();
    if !missing.is_empty() || count == 0 {
        return Err(CliError::Input(format!(
            "merge: shard{} {} missing",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", ")
        )));
    }
    let ordered: Vec<&(String, Value)> = by_index.into_iter().flatten().collect();
    match kind {
        "check-shard" => merge_check(&ordered, json, fail_on),
        _ => merge_simulate(&ordered, json),
    }
}

fn merge_check(
    docs: &[&(String, Value)],
    json: bool,
    fail_on: &[Verdict],
) -> Result<String, CliError> {
    let (name, first) = docs[0];
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let paths: Vec<PathBuf> = strings(&first["paths"])
        .into_iter()
        .map(PathBuf::from)
        .collect();
    let only = strings(&first["only"]);
    let catalogue = cli::load_catalogue(&paths)?;
    if json!(catalogue.files) != first["files"] {
        return Err(CliError::Input(format!(
            "{name}: the claim files differ from those the shards decided (their names, sizes or SHA-256): run the merge where the shards ran, on the same files"
        )));
    }
    let mut parts = Vec::new();
    for (name, v) in docs {
        let p: Vec<ShardPart> = serde_json::from_value(v["parts"].clone())
            .map_err(|e| CliError::Input(format!("{name}: `parts` unreadable: {e}")))?;
        parts.push(p);
    }
    let opts = options_of(name, &first["options"])?;
    let outcomes =
        pipeline::merge_shards(&catalogue.claims, &only, &parts, &opts).map_err(|e| match e {
            pipeline::MergeError::Mismatch(m) => CliError::Input(format!("merge: {m}")),
            pipeline::MergeError::Pipeline(p) => CliError::from(p),
        })?;
    if json {
        return cli::check_output(&catalogue, outcomes, true, fail_on);
    }
    let planned = pipeline::planned_ids(&catalogue.claims, &only);
    let table = report::Table::new(planned.iter().map(|(i, s)| (i.as_str(), s.as_str())));
    let mut text = table.head();
    for o in &outcomes {
        text.push_str(&table.row(o));
    }
    match cli::check_output(&catalogue, outcomes, false, fail_on) {
        Ok(summary) => Ok(text + &summary),
        Err(CliError::Gate { output, message }) => Err(CliError::Gate {
            output: text + &output,
            message,
        }),
        Err(e) => Err(e),
    }
}

fn merge_simulate(docs: &[&(String, Value)], json: bool) -> Result<String, CliError> {
    let (name, first) = docs[0];
    let path = PathBuf::from(first["config_file"].as_str().unwrap_or(""));
    let run = cli::load_simulation(&path, first["replicas"].as_u64(), first["seed"].as_u64())?;
    if run.echo() != first["config"] {
        return Err(CliError::Input(format!(
            "{name}: {} differs from the configuration the shards ran",
            path.display()
        )));
    }
    let mut outs: Vec<ReplicaOut> = Vec::with_capacity(run.replicas as usize);
    for (name, v) in docs {
        let bad = |what: &str| CliError::Input(format!("{name}: {what}"));
        if v["first_replica"].as_u64() != Some(outs.len() as u64) {
            return Err(bad("its replicas do not follow the previous shard's"));
        }
        for r in v["results"].as_array().ok_or_else(|| bad("no `results`"))? {
            let floats = |k: &str| -> Result<Vec<f64>, CliError> {
                r[k].as_array()
                    .ok_or_else(|| bad("a result without its measurements"))?
                    .iter()
                    .map(|b| b.as_u64().map(f64::from_bits))
                    .collect::<Option<Vec<f64>>>()
                    .ok_or_else(|| bad("a measurement that is not an f64 bit pattern"))
            };
            outs.push(ReplicaOut {
                dist: floats("dist")?,
                probe: floats("probe")?,
                norm: Vec::new(),
                layers: Vec::new(),
                non_finite: r["non_finite"].as_u64().map(|s| s as usize),
            });
        }
    }
    if outs.len() as u64 != run.replicas {
        return Err(CliError::Input(format!(
            "merge: the shards hold {} replicas of {}",
            outs.len(),
            run.replicas
        )));
    }
    // a replica has a measurement at every checkpoint before it stopped being finite
    let sim = &run.cfg.sim;
    let needed = |o: &ReplicaOut| {
        sim.checkpoints
            .iter()
            .filter(|&&step| o.non_finite.is_none_or(|s| s > step))
            .count()
    };
    if outs
        .iter()
        .any(|o| o.dist.len() != o.probe.len() || o.dist.len() < needed(o))
    {
        return Err(CliError::Input(
            "merge: a replica's measurements do not match the configuration's checkpoints".into(),
        ));
    }
    let summary = run.cfg.sim.summarise(run.seed, &outs);
    cli::simulate_output(&run, &summary, json, None)
}

//! The layer between the engines and the front ends: it routes each claim to the engine
//! that decides it (the decision engine, or the symbolic engine for `[[symbolic]]` tables),
//! has the independent kernel re-check every verdict, filters by `--only`, and draws
//! progress bars. `cli` and `audit` both sit on it; it imports neither.

use crate::certify::kernel;
use crate::claims::{self, Claim};
use crate::decide::{self, Options, Outcome};

/// Why a run of the pipeline stopped.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// An id given to select outcomes names no claim or step (bad input).
    #[error("--only {0}: no claim or step with this id")]
    UnknownId(String),
    /// The kernel failed (not a disagreement, which is reported in the outcome).
    #[error("{0}")]
    Kernel(String),
}

/// Decides one claim with the engine that fits it: the symbolic engine for a
/// `[[symbolic]]` table, the decision engine otherwise.
pub fn decide_claim(claim: &Claim, opts: &Options) -> Vec<Outcome> {
    match &claim.body {
        claims::Body::Symbolic(spec) => vec![crate::symbolic::decide_claim(claim, spec)],
        _ => decide::decide(claim, opts),
    }
}

/// Decides the claims, keeping only the outcomes `only` names (a claim id selects the
/// claim and all its steps; `<id>.step<k>` selects one step), and has the kernel re-check
/// each kept outcome (its `kernel` field). Claims are decided in parallel (each with its
/// own budget) and the outcomes come back in the order of `claims`.
pub fn decide_claims(
    claims: &[Claim],
    only: &[String],
    opts: &Options,
) -> Result<Vec<Outcome>, PipelineError> {
    let wanted =
        |id: &str, claim: &str| only.is_empty() || only.iter().any(|o| o == id || o == claim);
    for o in only {
        let known = claims.iter().any(|c| {
            c.id == *o
                || o.strip_prefix(&format!("{}.step", c.id))
                    .is_some_and(|k| k.parse::<usize>().is_ok_and(|k| k >= 1 && k <= steps(c)))
        });
        if !known {
            return Err(PipelineError::UnknownId(o.clone()));
        }
    }
    // claims are independent: decided in parallel, collected in the order given
    use rayon::prelude::*;
    let per_claim: Vec<Result<Vec<Outcome>, PipelineError>> = claims
        .par_iter()
        .map(|c| {
            let selected = only.is_empty()
                || only
                    .iter()
                    .any(|o| o == &c.id || o.starts_with(&format!("{}.step", c.id)));
            if !selected {
                return Ok(Vec::new());
            }
            let mut kept = Vec::new();
            for mut o in decide_claim(c, opts)
                .into_iter()
                .filter(|o| wanted(&o.id, &c.id))
            {
                o.kernel = Some(recheck(c, &o)?);
                kept.push(o);
            }
            Ok(kept)
        })
        .collect();
    let mut out = Vec::new();
    for r in per_claim {
        out.extend(r?);
    }
    Ok(out)
}

/// The independent kernel's re-check of an outcome, as the `kernel` field reports it.
pub fn recheck(claim: &Claim, o: &Outcome) -> Result<String, PipelineError> {
    match kernel::recheck(claim, o) {
        Ok(kernel::Recheck::Agreed(t)) => Ok(format!("agreed: {t}")),
        Ok(kernel::Recheck::Skipped(t)) => Ok(format!("not re-checked: {t}")),
        Err(e) => Err(PipelineError::Kernel(e.to_string())),
    }
}

/// The number of chain steps of a claim (0 for other bodies).
fn steps(c: &Claim) -> usize {
    match &c.body {
        claims::Body::Holds(_) => 0,
        claims::Body::Chain { rels, .. } => rels.len(),
        claims::Body::Symbolic(_) => 0,
    }
}

/// A progress bar on standard error when it is a terminal and `CI` is unset; `None` in
/// pipes, files and CI.
pub fn progress_bar(len: u64, what: &str) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() || std::env::var_os("CI").is_some() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(len);
    let style = indicatif::ProgressStyle::with_template(&format!(
        "{{elapsed_precise}} [{{bar:40}}] {{pos}}/{{len}} {what} (eta {{eta}})"
    ))
    .ok()?;
    bar.set_style(style);
    Some(bar)
}

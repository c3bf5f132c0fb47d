//! The layer between the engines and the front ends: it routes each claim to the engine
//! that decides it (the decision engine, or the symbolic engine for `[[symbolic]]` tables),
//! has the independent kernel re-check every verdict, filters by `--only`, and draws
//! progress bars. `cli` and `audit` both sit on it; it imports neither.

use crate::certify::kernel;
use crate::claims::{self, Claim};
use crate::decide::{self, Options, Outcome, Reason, Verdict};
use crate::expr::{DomainSpec, Expr, Rel, Relation};

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
/// `[[symbolic]]` table, the decision engine otherwise. A `holds` relation `=`, `<=` or `>=`
/// that the sweep left sampled or undecided is then tried as an identity
/// ([`identity_on_domain`]).
pub fn decide_claim(claim: &Claim, opts: &Options) -> Vec<Outcome> {
    match &claim.body {
        claims::Body::Symbolic(spec) => vec![crate::symbolic::decide_claim(claim, spec)],
        claims::Body::Holds(_) | claims::Body::Chain { .. } => {
            let mut outs = decide::decide(claim, opts);
            // a relation (a `holds`, a chain's conclusion or one of its steps) left open
            // whose sides are equal on the whole domain is certified by that identity
            let relations = decide::relations(claim);
            for o in &mut outs {
                let Some((_, lhs, rel, rhs)) = relations.iter().find(|(id, ..)| *id == o.id) else {
                    continue;
                };
                let open = matches!(o.verdict, Verdict::NoCounterexample | Verdict::Undecided);
                let non_strict = matches!(rel, Rel::Eq | Rel::Le | Rel::Ge);
                let r = Relation {
                    lhs: lhs.clone(),
                    rel: *rel,
                    rhs: rhs.clone(),
                };
                if open
                    && non_strict
                    && o.failures == 0
                    && claim.best_constant.is_none()
                    && let Some(why) = identity_on_domain(claim, &r)
                {
                    o.verdict = Verdict::Certified;
                    o.coverage.exhaustive = true;
                    o.reasons = vec![Reason::Symbolic(why)];
                    o.symbolic = true;
                }
            }
            outs
        }
    }
}

/// Whether the two sides of `r` are equal at every point of the claim's domain, with the
/// evidence: both sides (definitions inlined) have values on the whole domain box (interval
/// evaluation over it succeeds, so no point is undefined), and the symbolic engine proves
/// them equal under the parameters' ranges (its guarded rewrite rules, checked at seeded
/// points). Each parameter ranges over the hull of its domain (bounds that use earlier
/// parameters enclosed over their hulls); sets, and relations that use definitions in a
/// claim with construction guards, are left alone (`None`).
pub fn identity_on_domain(claim: &Claim, r: &Relation) -> Option<String> {
    use crate::engine::real::{Arith, Interval, RealEnv};
    use crate::symbolic::range::Assumptions;
    use rug::Rational;
    // a construction's guards say where its derived quantities mean what they say: a
    // relation that uses a definition is left alone; one on the parameters alone is not
    // concerned by them
    let uses_lets = claim
        .lets
        .iter()
        .any(|d| r.lhs.mentions(&d.name) || r.rhs.mentions(&d.name));
    if !claim.guards.is_empty() && uses_lets {
        return None;
    }
    let (lhs, rhs) = (claim.inline_lets(&r.lhs)?, claim.inline_lets(&r.rhs)?);
    let budget = crate::engine::exact::Budget::with_time(std::time::Duration::from_secs(5));
    let ar = Arith { prec: 128 };
    let mut assume = Assumptions::default();
    let mut env = RealEnv::new();
    for p in &claim.params {
        // each parameter over the hull of its domain: bounds that use earlier parameters
        // are enclosed over their hulls (a proof on a superset of the domain is a proof)
        let hull = |e: &Expr, env: &mut RealEnv| -> Option<(Rational, Rational)> {
            let iv = crate::engine::real::eval(e, env, ar, &budget).ok()?;
            match iv.to_rational_bounds() {
                (Some(l), Some(h)) => Some((l, h)),
                _ => None,
            }
        };
        let (lo, hi) = match &p.domain {
            DomainSpec::Fixed(e) => hull(e, &mut env)?,
            DomainSpec::IntRange { lo, hi, .. } => {
                let (l, _) = hull(lo, &mut env)?;
                let (_, h) = hull(hi, &mut env)?;
                (l.ceil(), h.floor())
            }
            DomainSpec::Real { lo, hi, .. } => {
                let (l, _) = hull(lo, &mut env)?;
                let (_, h) = hull(hi, &mut env)?;
                (l, h)
            }
            DomainSpec::Set(_) => return None,
        };
        if lo > hi {
            return None;
        }
        let spec = if lo == hi {
            format!("{} = {lo}", p.name)
        } else if matches!(p.domain, DomainSpec::IntRange { .. }) {
            format!("{} in {lo}..={hi}", p.name)
        } else {
            format!("{} in [{lo}, {hi}]", p.name)
        };
        assume.add(&spec).ok()?;
        env.push(&p.name, Interval::from_bounds(&lo, &hi, 128));
    }
    crate::engine::real::eval(&lhs, &mut env, ar, &budget).ok()?;
    crate::engine::real::eval(&rhs, &mut env, ar, &budget).ok()?;
    let ans = crate::symbolic::equal(&lhs, &rhs, &assume);
    (ans.status == "proved").then(|| {
        format!(
            "the sides are equal on the whole domain: both have values on all of it (interval evaluation over the domain box), and the symbolic engine proves them equal ({})",
            ans.reason.unwrap_or_default().replace('\n', " ")
        )
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::ClaimBuilder;

    fn verdict(params: &[&str], holds: &str) -> (Verdict, Option<String>) {
        let mut b = ClaimBuilder::new("c");
        for p in params {
            b = b.param(*p);
        }
        let c = b.holds(holds).build().unwrap();
        let o = decide_claim(&c, &Options::default()).remove(0);
        (o.verdict, o.reason())
    }

    #[test]
    fn identities_are_certified_on_the_whole_domain() {
        for (params, holds) in [
            (&["n in 1..=50", "a in [0, 2]"][..], "exp(a*ln(n)) = n^a"),
            (
                &["x in [1, 5]", "y in [1/2, 3]"][..],
                "ln(x*y) = ln(x) + ln(y)",
            ),
            (
                &["x in [1/2, 4]", "q in [1/3, 3]"][..],
                "ln(x^q) <= q*ln(x)",
            ),
        ] {
            let (v, r) = verdict(params, holds);
            assert_eq!(v, Verdict::Certified, "{holds}: {r:?}");
            assert!(r.unwrap().contains("symbolic engine proves them equal"));
        }
    }

    #[test]
    fn identical_sides_with_an_undefined_point_are_not_certified() {
        // equal where defined, but undefined at x = 2/7, which the sampled grid misses
        let (v, r) = verdict(&["x in [0, 1]"], "1/(x - 2/7) = 1/(x - 2/7)");
        assert_ne!(v, Verdict::Certified, "{r:?}");
        // ln of a value that may be negative is not rewritten
        let (v, r) = verdict(
            &["x in [-1, 5]", "y in [1/2, 3]"],
            "ln(x*y) = ln(x) + ln(y)",
        );
        assert_ne!(v, Verdict::Certified, "{r:?}");
    }
}

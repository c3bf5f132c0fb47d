//! Validation of a `[[claim]]` table, one function per concern: the id, the parameters
//! and their domains, the construction's quantities and shared definitions the claim may
//! use, its own definitions, the body (`holds` or `chain`), the searches, and the placement
//! of derived definitions and guards. Also the `[[construction]]` tables.

use super::raw::{Ctx, RawClaim, RawConstruction, Shared};
use super::{Body, Claim, Def, LoadError, Param};
use crate::construction::{Quantity, Sampling, Spec};
use crate::engine::exact::{self, Budget, Env};
use crate::expr::{self, DomainSpec, Expr, NameUses, Rel, Relation};
use std::collections::{BTreeSet, HashMap};
use toml::Spanned;

/// A construction's condition: its text and the relation.
type Guard = (String, Relation);

/// A parsed `let`: name, offset of the name, value, names used.
type ParsedDef = (String, usize, Expr, NameUses);

/// Validates one `[[claim]]` table: its id, parameters, the construction's quantities and
/// shared definitions it uses, its definitions, its body and searches, in that order (the
/// first error found is reported).
pub(super) fn validate(ctx: &Ctx, rc: &RawClaim, shared: &Shared) -> Result<Claim, LoadError> {
    let id = rc.id.get_ref().trim().to_string();
    if !valid_id(&id) {
        return Err(ctx.at(
            rc.id.span().start,
            "claim id must be non-empty and use only letters, digits, `.`, `_` and `-`",
        ));
    }
    let specs = parse_params(ctx, rc)?;
    let lets_raw: Vec<(&Spanned<String>, ParsedDef)> = rc
        .lets
        .iter()
        .map(|s| {
            expr::parse_definition(s.get_ref())
                .map(|d| (s, d))
                .map_err(|e| ctx.parse_err(s, e))
        })
        .collect::<Result<_, _>>()?;
    let all_lets: Vec<String> = lets_raw.iter().map(|(_, d)| d.0.clone()).collect();
    let mut known: BTreeSet<String> = BTreeSet::new();
    let params = check_params(ctx, &specs, &mut known)?;
    let mut hints: HashMap<String, String> = HashMap::new();
    // quantities derived from a construction, then shared definitions whose names are used:
    // definitions placed before the claim's own
    let mut derived = construction_quantities(ctx, rc, shared, &known, &all_lets, &mut hints)?;
    shared_definitions(shared, &known, &all_lets, &mut derived, &mut hints);
    for q in &derived {
        known.insert(q.name.to_string());
    }
    let lets = check_lets(ctx, &lets_raw, &all_lets, &mut known, &hints)?;
    let known_body = best_constant_scope(ctx, rc, &known)?;
    let body = match (&rc.holds, &rc.chain) {
        (Some(_), Some(c)) => {
            return Err(ctx.at(c.span().start, "a claim has `holds` or `chain`, not both"));
        }
        (None, None) => {
            return Err(ctx.at(rc.id.span().start, "a claim needs `holds` or `chain`"));
        }
        (Some(h), None) => holds_body(ctx, rc, h, &known_body, &hints)?,
        (None, Some(c)) => chain_body(ctx, rc, c, &known, &hints)?,
    };
    let threshold = threshold_of(ctx, rc, &params)?;
    let constraints = constraints_of(ctx, rc, &params)?;
    let (lets, guards) = place_derived(ctx, rc, &body, &params, lets, derived)?;
    Ok(Claim {
        id,
        source: rc.source.get_ref().clone(),
        text: rc.text.get_ref().clone(),
        file: ctx.file.to_string(),
        params,
        lets,
        body,
        threshold,
        best_constant: rc
            .best_constant
            .as_ref()
            .map(|k| k.get_ref().trim().to_string()),
        construction: rc
            .construction
            .as_ref()
            .map(|c| c.get_ref().trim().to_string()),
        guards,
        constraints,
    })
}

/// `where = ["x + y <= 1", ...]`: relations between the parameters (parameters only, so
/// that a point's membership in the domain does not depend on the claim's definitions).
fn constraints_of(
    ctx: &Ctx,
    rc: &RawClaim,
    params: &[Param],
) -> Result<Vec<(String, Relation)>, LoadError> {
    let names: BTreeSet<String> = params.iter().map(|p| p.name.clone()).collect();
    let mut out = Vec::new();
    for s in &rc.constraints {
        let (rel, uses) =
            expr::parse_relation_uses(s.get_ref()).map_err(|e| ctx.parse_err(s, e))?;
        if let Some((name, off)) = uses.iter().find(|(n, _)| !names.contains(n)) {
            return Err(ctx.at(
                ctx.inner(s, *off),
                format!(
                    "a `where` constraint may use only the claim's parameters, and `{name}` is not one"
                ),
            ));
        }
        if uses.is_empty() {
            return Err(ctx.at(s.span().start, "a `where` constraint must use a parameter"));
        }
        out.push((s.get_ref().trim().to_string(), rel));
    }
    Ok(out)
}

/// A parsed parameter with the string it came from and the names its domain uses.
type ParsedParam<'a> = (&'a Spanned<String>, expr::ParamSpec, NameUses);

fn parse_params<'a>(ctx: &Ctx, rc: &'a RawClaim) -> Result<Vec<ParsedParam<'a>>, LoadError> {
    let mut specs = Vec::new();
    for s in &rc.params {
        let (spec, uses) = expr::parse_param(s.get_ref()).map_err(|e| ctx.parse_err(s, e))?;
        specs.push((s, spec, uses));
    }
    Ok(specs)
}

/// The parameters in order: each declared once, its domain using only earlier parameters,
/// constant domains not empty. Adds their names to `known`.
fn check_params(
    ctx: &Ctx,
    specs: &[ParsedParam<'_>],
    known: &mut BTreeSet<String>,
) -> Result<Vec<Param>, LoadError> {
    let all_params: Vec<String> = specs.iter().map(|(_, p, _)| p.name.clone()).collect();
    let mut params = Vec::new();
    for (i, (s, spec, uses)) in specs.iter().enumerate() {
        if known.contains(&spec.name) {
            return Err(ctx.at(
                ctx.inner(s, spec.name_offset),
                format!("parameter `{}` is declared twice", spec.name),
            ));
        }
        let later: BTreeSet<String> = all_params[i..].iter().cloned().collect();
        check_names(
            ctx,
            s,
            uses,
            known,
            &later,
            &format!("the domain of `{}`", spec.name),
        )?;
        if uses.is_empty() {
            check_constant_domain(&spec.domain)
                .map_err(|m| ctx.at(ctx.inner(s, spec.name_offset), m))?;
        }
        known.insert(spec.name.clone());
        params.push(Param {
            name: spec.name.clone(),
            domain: spec.domain.clone(),
        });
    }
    Ok(params)
}

/// The quantities of the claim's construction whose inputs the claim declares; for the
/// others, a hint that names the missing input.
fn construction_quantities(
    ctx: &Ctx,
    rc: &RawClaim,
    shared: &Shared,
    known: &BTreeSet<String>,
    all_lets: &[String],
    hints: &mut HashMap<String, String>,
) -> Result<Vec<Quantity>, LoadError> {
    let mut derived: Vec<Quantity> = Vec::new();
    let Some(cn) = &rc.construction else {
        return Ok(derived);
    };
    let name = cn.get_ref().trim();
    let Some(spec) = shared.constructions.get(name) else {
        return Err(ctx.at(
            cn.span().start,
            format!("no [[construction]] with id `{name}` in the files loaded"),
        ));
    };
    for q in spec.quantities() {
        if known.contains(&q.name) {
            return Err(ctx.at(
                cn.span().start,
                format!(
                    "parameter `{}` clashes with the construction's quantity of that name",
                    q.name
                ),
            ));
        }
        match q
            .expr
            .free_vars()
            .into_iter()
            .find(|v| !known.contains(v) && !all_lets.contains(v))
        {
            None => derived.push(q),
            Some(missing) => {
                hints.insert(
                    q.name.clone(),
                    format!(
                        "`{}` ({}) needs the parameter or definition `{missing}`",
                        q.name, q.meaning
                    ),
                );
            }
        }
    }
    Ok(derived)
}

/// Shared definitions (`[[definition]]`) the claim can use: those whose parameters it
/// declares, appended to `derived`; a hint for the others.
fn shared_definitions(
    shared: &Shared,
    known: &BTreeSet<String>,
    all_lets: &[String],
    derived: &mut Vec<Quantity>,
    hints: &mut HashMap<String, String>,
) {
    for d in &shared.definitions {
        if known.contains(&d.name) || derived.iter().any(|q| q.name == d.name) {
            continue;
        }
        match d
            .expr
            .free_vars()
            .into_iter()
            .find(|v| !known.contains(v) && !all_lets.contains(v))
        {
            None => derived.push(Quantity {
                name: d.name.clone(),
                meaning: d.source.clone(),
                expr: d.expr.clone(),
                guards: Vec::new(),
            }),
            Some(missing) => {
                hints.insert(
                    d.name.clone(),
                    format!(
                        "`{}` ({}) needs the parameter or definition `{missing}`",
                        d.name, d.source
                    ),
                );
            }
        }
    }
}

/// The claim's own definitions in order: new names, using only what is known before them.
fn check_lets(
    ctx: &Ctx,
    lets_raw: &[(&Spanned<String>, ParsedDef)],
    all_lets: &[String],
    known: &mut BTreeSet<String>,
    hints: &HashMap<String, String>,
) -> Result<Vec<Def>, LoadError> {
    let mut lets = Vec::new();
    for (i, (s, (name, at, e, uses))) in lets_raw.iter().enumerate() {
        if known.contains(name) {
            return Err(ctx.at(
                ctx.inner(s, *at),
                format!("`{name}` is already a parameter or an earlier definition"),
            ));
        }
        let later: BTreeSet<String> = all_lets[i..].iter().cloned().collect();
        check_names_hinted(
            ctx,
            s,
            uses,
            known,
            &later,
            &format!("the definition of `{name}`"),
            hints,
        )?;
        known.insert(name.clone());
        lets.push(Def {
            name: name.clone(),
            expr: e.clone(),
        });
    }
    Ok(lets)
}

/// The names `holds` may use: the known ones and the free constant a `best_constant`
/// search names (which must be new and valid).
fn best_constant_scope(
    ctx: &Ctx,
    rc: &RawClaim,
    known: &BTreeSet<String>,
) -> Result<BTreeSet<String>, LoadError> {
    let mut known_body = known.clone();
    if let Some(k) = &rc.best_constant {
        let name = k.get_ref().trim();
        if known.contains(name) {
            return Err(ctx.at(
                k.span().start,
                format!(
                    "best_constant `{name}` must be a free symbol, not a parameter or definition"
                ),
            ));
        }
        if !expr::is_valid_name(name) {
            return Err(ctx.at(k.span().start, format!("`{name}` is not a valid name")));
        }
        known_body.insert(name.to_string());
    }
    Ok(known_body)
}

/// `holds = "lhs REL rhs"`, with the `best_constant` among its names when there is one.
fn holds_body(
    ctx: &Ctx,
    rc: &RawClaim,
    h: &Spanned<String>,
    known_body: &BTreeSet<String>,
    hints: &HashMap<String, String>,
) -> Result<Body, LoadError> {
    let (rel, uses) = expr::parse_relation_uses(h.get_ref()).map_err(|e| ctx.parse_err(h, e))?;
    check_names_hinted(
        ctx,
        h,
        &uses,
        known_body,
        &BTreeSet::new(),
        "`holds`",
        hints,
    )?;
    if let Some(k) = &rc.best_constant {
        let name = k.get_ref().trim();
        if !uses.iter().any(|(n, _)| n == name) {
            return Err(ctx.at(
                k.span().start,
                format!("best_constant `{name}` does not occur in `holds`"),
            ));
        }
    }
    Ok(Body::Holds(rel))
}

/// `chain = ["E1", REL, "E2", ...]`: an odd number of entries, relations that compose.
fn chain_body(
    ctx: &Ctx,
    rc: &RawClaim,
    c: &Spanned<Vec<Spanned<String>>>,
    known: &BTreeSet<String>,
    hints: &HashMap<String, String>,
) -> Result<Body, LoadError> {
    if rc.best_constant.is_some() {
        return Err(ctx.at(
            c.span().start,
            "best_constant needs `holds`; a chain has no single constant",
        ));
    }
    let items = c.get_ref();
    if items.len() < 3 || items.len().is_multiple_of(2) {
        return Err(ctx.at(
            c.span().start,
            "a chain is [\"E1\", REL, \"E2\", ...]: an odd number (at least 3) of entries",
        ));
    }
    let mut exprs = Vec::new();
    let mut rels = Vec::new();
    for (k, item) in items.iter().enumerate() {
        if k % 2 == 1 {
            let r = Rel::from_symbol(item.get_ref()).ok_or_else(|| {
                ctx.at(
                    item.span().start,
                    format!(
                        "expected a relation (`<=`, `<`, `>=`, `>`, `=`) between chain links, found `{}`",
                        item.get_ref()
                    ),
                )
            })?;
            rels.push(r);
        } else {
            let (e, uses) =
                expr::parse_expr_uses(item.get_ref()).map_err(|e| ctx.parse_err(item, e))?;
            check_names_hinted(
                ctx,
                item,
                &uses,
                known,
                &BTreeSet::new(),
                "the chain",
                hints,
            )?;
            exprs.push(e);
        }
    }
    if rels
        .iter()
        .try_fold(Rel::Eq, |a, r| a.compose(*r))
        .is_none()
    {
        return Err(ctx.at(
            c.span().start,
            "a chain mixes `<`-type and `>`-type relations, so it relates nothing",
        ));
    }
    Ok(Body::Chain { exprs, rels })
}

/// `threshold = "p"`: a parameter of the claim with a range.
fn threshold_of(ctx: &Ctx, rc: &RawClaim, params: &[Param]) -> Result<Option<String>, LoadError> {
    let Some(t) = &rc.threshold else {
        return Ok(None);
    };
    let name = t.get_ref().trim();
    let Some(p) = params.iter().find(|p| p.name == name) else {
        return Err(ctx.at(
            t.span().start,
            format!("threshold `{name}` is not a parameter of this claim"),
        ));
    };
    if matches!(p.domain, DomainSpec::Fixed(_)) {
        return Err(ctx.at(
            t.span().start,
            format!("threshold `{name}` is a fixed parameter; give it a range"),
        ));
    }
    Ok(Some(name.to_string()))
}

/// The claim's definitions with the derived quantities it uses (directly or through its
/// definitions) placed right after the definitions they need, and the guards of those
/// quantities with every definition inlined (guards speak of parameters only).
fn place_derived(
    ctx: &Ctx,
    rc: &RawClaim,
    body: &Body,
    params: &[Param],
    lets: Vec<Def>,
    derived: Vec<Quantity>,
) -> Result<(Vec<Def>, Vec<Guard>), LoadError> {
    let mut used: BTreeSet<String> = match body {
        Body::Holds(r) => {
            let mut u = r.lhs.free_vars();
            u.extend(r.rhs.free_vars());
            u
        }
        Body::Chain { exprs, .. } => exprs.iter().flat_map(|e| e.free_vars()).collect(),
        Body::Symbolic(_) => BTreeSet::new(),
    };
    // close over the claim's own definitions and the derived ones (either may use the other)
    loop {
        let before = used.len();
        for (name, e) in lets
            .iter()
            .map(|d| (&d.name, &d.expr))
            .chain(derived.iter().map(|q| (&q.name, &q.expr)))
        {
            if used.contains(name) {
                used.extend(e.free_vars());
            }
        }
        if used.len() == before {
            break;
        }
    }
    let mut guards: Vec<Guard> = Vec::new();
    let mut pending: Vec<Def> = Vec::new();
    for q in derived.into_iter().filter(|q| used.contains(&q.name)) {
        for g in q.guards {
            if !guards.iter().any(|(t, r)| *t == g.0 && *r == g.1) {
                guards.push(g);
            }
        }
        pending.push(Def {
            name: q.name,
            expr: q.expr,
        });
    }
    let lets = order_definitions(ctx, rc, params, lets, pending)?;
    for (_, r) in guards.iter_mut() {
        for d in lets.iter().rev() {
            let too_large = |e: expr::TooLarge| ctx.at(rc.id.span().start, e.0);
            r.lhs = r
                .lhs
                .substitute_checked(&d.name, &d.expr)
                .map_err(too_large)?;
            r.rhs = r
                .rhs
                .substitute_checked(&d.name, &d.expr)
                .map_err(too_large)?;
        }
    }
    Ok((lets, guards))
}

/// Each pending (derived) definition placed right after the definitions it needs, the
/// claim's own keeping their order.
fn order_definitions(
    ctx: &Ctx,
    rc: &RawClaim,
    params: &[Param],
    lets: Vec<Def>,
    mut pending: Vec<Def>,
) -> Result<Vec<Def>, LoadError> {
    let mut defined: BTreeSet<String> = params.iter().map(|p| p.name.clone()).collect();
    let mut ordered: Vec<Def> = Vec::new();
    let mut own = lets.into_iter().peekable();
    loop {
        let mut progress = false;
        let mut k = 0;
        while k < pending.len() {
            if pending[k]
                .expr
                .free_vars()
                .iter()
                .all(|v| defined.contains(v))
            {
                let d = pending.remove(k);
                defined.insert(d.name.clone());
                ordered.push(d);
                progress = true;
            } else {
                k += 1;
            }
        }
        match own.peek() {
            Some(d) if d.expr.free_vars().iter().all(|v| defined.contains(v)) => {
                let d = own.next().expect("peeked");
                defined.insert(d.name.clone());
                ordered.push(d);
            }
            Some(d) if !progress => {
                return Err(ctx.at(
                    rc.id.span().start,
                    format!(
                        "the definition of `{}` uses a construction quantity or shared definition that itself needs a later definition",
                        d.name
                    ),
                ));
            }
            Some(_) => {}
            None if pending.is_empty() => break,
            None if !progress => {
                return Err(ctx.at(rc.id.span().start, "circular definitions"));
            }
            None => {}
        }
    }
    Ok(ordered)
}

pub(super) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Checks that every name used is known; `known` are the names visible at this point and
/// `later` those declared further down (a forward reference gets its own message).
pub(super) fn check_names(
    ctx: &Ctx,
    s: &Spanned<String>,
    uses: &NameUses,
    known: &BTreeSet<String>,
    later: &BTreeSet<String>,
    what: &str,
) -> Result<(), LoadError> {
    check_names_hinted(ctx, s, uses, known, later, what, &HashMap::new())
}

pub(super) fn check_names_hinted(
    ctx: &Ctx,
    s: &Spanned<String>,
    uses: &NameUses,
    known: &BTreeSet<String>,
    later: &BTreeSet<String>,
    what: &str,
    hints: &HashMap<String, String>,
) -> Result<(), LoadError> {
    for (name, off) in uses {
        if known.contains(name) {
            continue;
        }
        let msg = if let Some(h) = hints.get(name) {
            format!("{h}, which this claim does not declare")
        } else if later.contains(name) {
            format!(
                "{what} refers to `{name}`, which is declared later (only earlier parameters and definitions may be used)"
            )
        } else {
            format!("unknown name `{name}` in {what}")
        };
        return Err(ctx.at(ctx.inner(s, *off), msg));
    }
    Ok(())
}

pub(super) fn construction_spec(ctx: &Ctx, rc: &RawConstruction) -> Result<Spec, LoadError> {
    if rc.loss.get_ref().trim() != "quadratic" {
        return Err(ctx.at(
            rc.loss.span().start,
            "the only construction loss is \"quadratic\" (f(w; z) = 1/2 w^T A w - y x^T w)",
        ));
    }
    let field = |s: &Spanned<String>, what: &str, allowed: &[&str]| -> Result<Expr, LoadError> {
        let (e, uses) = expr::parse_expr_uses(s.get_ref()).map_err(|e| ctx.parse_err(s, e))?;
        for (name, off) in &uses {
            if allowed.contains(&name.as_str()) {
                return Err(ctx.at(
                    ctx.inner(s, *off),
                    format!("`{name}` is reserved for the derived quantities and cannot appear in {what}"),
                ));
            }
        }
        Ok(e)
    };
    let reserved = ["T", "t0", "t1", "s"];
    let step = field(&rc.step, "the step size", &reserved)?;
    Ok(Spec {
        eigenvalue: field(
            &rc.eigenvalue,
            "the eigenvalue",
            &["T", "t0", "t1", "s", "t"],
        )?,
        x: field(&rc.x, "x", &["T", "t0", "t1", "s", "t"])?,
        x_twin: field(&rc.x_twin, "x_twin", &["T", "t0", "t1", "s", "t"])?,
        y: field(&rc.y, "y", &["T", "t0", "t1", "s", "t"])?,
        y_twin: field(&rc.y_twin, "y_twin", &["T", "t0", "t1", "s", "t"])?,
        step,
        first_step: match &rc.first_step {
            Some(f) => field(f, "first_step", &["T", "t0", "t1", "s", "t"])?,
            None => Expr::num(1),
        },
        sampling: Sampling::parse(rc.sampling.get_ref()).ok_or_else(|| {
            ctx.at(
                rc.sampling.span().start,
                "sampling is \"with-replacement\" or \"reshuffle\"",
            )
        })?,
    })
}

/// Rejects domains with constant bounds that are empty or inverted.
pub(super) fn check_constant_domain(d: &DomainSpec) -> Result<(), String> {
    let b = Budget::with_time(std::time::Duration::from_secs(10));
    let val = |e: &Expr| -> Result<Option<rug::Rational>, String> {
        match exact::eval(e, &mut Env::new(), &b) {
            Ok(v) => Ok(Some(v)),
            Err(exact::ExactError::NotRational(_) | exact::ExactError::Irrational(_)) => Ok(None),
            Err(e) => Err(format!("bad domain bound: {e}")),
        }
    };
    match d {
        DomainSpec::Fixed(e) => {
            val(e)?;
        }
        DomainSpec::Set(vs) => {
            for v in vs {
                val(v)?;
            }
        }
        DomainSpec::IntRange {
            lo, hi, inclusive, ..
        } => {
            if let (Some(lo), Some(hi)) = (val(lo)?, val(hi)?) {
                let lo_i = lo.clone().ceil();
                let mut hi_i = hi.clone().floor();
                if !inclusive && hi.is_integer() {
                    hi_i -= 1;
                }
                if lo_i > hi_i {
                    return Err(format!(
                        "empty integer range: no integer from {lo} to {hi}{}",
                        if *inclusive {
                            " inclusive"
                        } else {
                            " (exclusive)"
                        }
                    ));
                }
            }
        }
        DomainSpec::Real {
            lo,
            lo_closed,
            hi,
            hi_closed,
        } => {
            if let (Some(l), Some(h)) = (val(lo)?, val(hi)?)
                && (l > h || (l == h && !(*lo_closed && *hi_closed)))
            {
                return Err(format!("empty or inverted interval: from {l} to {h}"));
            }
        }
    }
    Ok(())
}

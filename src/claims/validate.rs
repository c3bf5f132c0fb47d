//! Validation of a `[[claim]]` table, one function per concern: the id, the parameters
//! and their domains, the construction's quantities and shared definitions the claim may
//! use, its own definitions, the body (`holds` or `chain`), the searches, and the placement
//! of derived definitions and guards. Also the `[[construction]]` tables.

use super::raw::RawList;
use super::raw::{Ctx, RawClaim, RawConstruction, Shared};
use super::{Body, Claim, Def, LoadError, Param};
use super::{ConstructionSpec, LossEntry};
use crate::construction::{Quantity, Sampling, Spec};
use crate::engine::exact::{self, Budget, Env};
use crate::expr::{self, DomainSpec, Expr, NameUses, Rel, Relation};
use crate::propagate::{Draws, LossSpec, irrational_part};
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
    let quantities = spec.quantities();
    if let crate::claims::ConstructionSpec::Loss(_) = spec {
        for missing in crate::propagate::LOSS_FUNCTIONS {
            if !quantities.iter().any(|q| q.name == *missing) {
                hints.insert(
                    missing.to_string(),
                    format!(
                        "`{missing}` is not offered for construction `{name}`: its loss has no derivative formula in the weights (`abs`, `min`, `max`, `floor` or `ceil` of an expression that uses a weight){}",
                        if missing.starts_with("curv") {
                            ", or it has several weights"
                        } else {
                            ""
                        }
                    ),
                );
            }
        }
    }
    for q in quantities {
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
                        "`{}` ({}) needs the parameter or definition `{missing}`, which this claim does not declare",
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
                        "`{}` ({}) needs the parameter or definition `{missing}`, which this claim does not declare",
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
            h.clone()
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

pub(super) fn construction_spec(
    ctx: &Ctx,
    rc: &RawConstruction,
) -> Result<ConstructionSpec, LoadError> {
    if rc.loss.get_ref().trim() != "quadratic" {
        return loss_construction(ctx, rc);
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
    for (present, name) in [
        (rc.weights.as_ref().map(|x| x.span()), "weights"),
        (rc.fields.as_ref().map(|x| x.span()), "fields"),
        (rc.s.as_ref().map(|x| x.span()), "s"),
        (rc.s_twin.as_ref().map(|x| x.span()), "s_twin"),
        (rc.start.as_ref().map(|x| x.span()), "start"),
        (rc.max_states.as_ref().map(|x| x.span()), "max_states"),
        (rc.max_seconds.as_ref().map(|x| x.span()), "max_seconds"),
    ] {
        if let Some(span) = present {
            return Err(ctx.at(
                span.start,
                format!("`{name}` belongs to a construction given by its loss, not to loss = \"quadratic\""),
            ));
        }
    }
    let required =
        |f: &Option<Spanned<String>>, name: &str| -> Result<Spanned<String>, LoadError> {
            f.clone().ok_or_else(|| {
                ctx.at(
                    rc.loss.span().start,
                    format!("loss = \"quadratic\" needs `{name}`"),
                )
            })
        };
    let fixed = ["T", "t0", "t1", "s", "t"];
    let reserved = ["T", "t0", "t1", "s"];
    let step = field(&rc.step, "the step size", &reserved)?;
    Ok(ConstructionSpec::Quadratic(Spec {
        eigenvalue: field(
            &required(&rc.eigenvalue, "eigenvalue")?,
            "the eigenvalue",
            &fixed,
        )?,
        x: field(&required(&rc.x, "x")?, "x", &fixed)?,
        x_twin: field(&required(&rc.x_twin, "x_twin")?, "x_twin", &fixed)?,
        y: field(&required(&rc.y, "y")?, "y", &fixed)?,
        y_twin: field(&required(&rc.y_twin, "y_twin")?, "y_twin", &fixed)?,
        step,
        first_step: match &rc.first_step {
            Some(f) => field(f, "first_step", &fixed)?,
            None => Expr::num(1),
        },
        sampling: sampling_of(ctx, rc)?,
    }))
}

fn sampling_of(ctx: &Ctx, rc: &RawConstruction) -> Result<Sampling, LoadError> {
    Sampling::parse(rc.sampling.get_ref()).ok_or_else(|| {
        ctx.at(
            rc.sampling.span().start,
            "sampling is \"with-replacement\" or \"reshuffle\"",
        )
    })
}

/// Most weights of a construction given by its loss.
const MAX_WEIGHTS: usize = 8;

/// A `[[construction]]` whose `loss` is an expression: the loss checked (rational
/// operations only, names among the weights and fields), the examples of S and S' parsed
/// (expressions in the claims' parameters), and its quantities registered.
fn loss_construction(ctx: &Ctx, rc: &RawConstruction) -> Result<ConstructionSpec, LoadError> {
    for (present, name) in [
        (&rc.eigenvalue, "eigenvalue"),
        (&rc.x, "x"),
        (&rc.x_twin, "x_twin"),
        (&rc.y, "y"),
        (&rc.y_twin, "y_twin"),
    ] {
        if let Some(f) = present {
            return Err(ctx.at(
                f.span().start,
                format!("`{name}` belongs to loss = \"quadratic\"; a construction given by its loss lists its examples in `s` and `s_twin`"),
            ));
        }
    }
    let names = |list: &Option<RawList>,
                 default: &[&str],
                 what: &str|
     -> Result<Vec<String>, LoadError> {
        let Some(l) = list else {
            return Ok(default.iter().map(|s| s.to_string()).collect());
        };
        let mut out: Vec<String> = Vec::new();
        for n in l.get_ref() {
            let name = n.get_ref().trim().to_string();
            if !expr::is_valid_name(&name)
                || ["T", "t0", "t1", "s", "t", "n"].contains(&name.as_str())
            {
                return Err(ctx.at(
                    n.span().start,
                    format!("`{name}` cannot name {what} (a name of letters, digits and `_`, not T, t0, t1, s, t or n)"),
                ));
            }
            if out.contains(&name) {
                return Err(ctx.at(n.span().start, format!("`{name}` is listed twice")));
            }
            out.push(name);
        }
        if out.is_empty() {
            return Err(ctx.at(l.span().start, format!("at least one {what}")));
        }
        Ok(out)
    };
    let weights = names(&rc.weights, &["w"], "a weight")?;
    if weights.len() > MAX_WEIGHTS {
        return Err(ctx.at(
            rc.weights.as_ref().map_or(0, |w| w.span().start),
            format!("at most {MAX_WEIGHTS} weights"),
        ));
    }
    let fields = names(&rc.fields, &["x", "y"], "a field")?;
    if let Some(both) = weights.iter().find(|w| fields.contains(w)) {
        return Err(ctx.at(
            rc.fields
                .as_ref()
                .map_or(rc.loss.span().start, |f| f.span().start),
            format!("`{both}` is both a weight and a field"),
        ));
    }
    let (loss, uses) =
        expr::parse_expr_uses(rc.loss.get_ref()).map_err(|e| ctx.parse_err(&rc.loss, e))?;
    for (name, off) in &uses {
        if !weights.contains(name) && !fields.contains(name) {
            return Err(ctx.at(
                ctx.inner(&rc.loss, *off),
                format!(
                    "the loss uses `{name}`, which is neither a weight ({}) nor a field ({}); list it in `weights` or `fields`",
                    weights.join(", "),
                    fields.join(", ")
                ),
            ));
        }
    }
    let data = |s: &Spanned<String>, what: &str, allow_t: bool| -> Result<Expr, LoadError> {
        let (e, uses) = expr::parse_expr_uses(s.get_ref()).map_err(|e| ctx.parse_err(s, e))?;
        for (name, off) in &uses {
            let reserved = ["T", "t0", "t1", "s"].contains(&name.as_str())
                || (name == "t" && !allow_t)
                || weights.contains(name)
                || fields.contains(name);
            if reserved {
                return Err(ctx.at(
                    ctx.inner(s, *off),
                    format!("`{name}` cannot appear in {what} (only `t` in the step size and the claims' parameters)"),
                ));
            }
        }
        if let Some(why) = irrational_part(&e) {
            return Err(ctx.at(s.span().start, format!("{why}: {what} must be rational")));
        }
        Ok(e)
    };
    let examples = |list: &Option<Spanned<Vec<RawList>>>,
                    key: &str|
     -> Result<Vec<Vec<Expr>>, LoadError> {
        let Some(l) = list else {
            return Err(ctx.at(
                rc.loss.span().start,
                format!("a construction given by its loss needs `{key}`: its examples, one list of {} per example", fields.join(", ")),
            ));
        };
        let mut out = Vec::new();
        for ex in l.get_ref() {
            if ex.get_ref().len() != fields.len() {
                return Err(ctx.at(
                    ex.span().start,
                    format!(
                        "an example has {} values for the {} fields ({})",
                        ex.get_ref().len(),
                        fields.len(),
                        fields.join(", ")
                    ),
                ));
            }
            out.push(
                ex.get_ref()
                    .iter()
                    .map(|v| data(v, "an example", false))
                    .collect::<Result<Vec<_>, _>>()?,
            );
        }
        if out.is_empty() {
            return Err(ctx.at(
                l.span().start,
                format!("`{key}` needs at least one example"),
            ));
        }
        Ok(out)
    };
    let s = examples(&rc.s, "s")?;
    let s_twin = examples(&rc.s_twin, "s_twin")?;
    if s.len() != s_twin.len() {
        let at = rc.s_twin.as_ref().map_or(0, |x| x.span().start);
        return Err(ctx.at(
            at,
            format!(
                "S has {} examples and S' {}: list as many in both",
                s.len(),
                s_twin.len()
            ),
        ));
    }
    let start = match &rc.start {
        None => vec![Expr::num(0); weights.len()],
        Some(l) => {
            if l.get_ref().len() != weights.len() {
                return Err(ctx.at(
                    l.span().start,
                    format!(
                        "the start has {} coordinates for {} weights",
                        l.get_ref().len(),
                        weights.len()
                    ),
                ));
            }
            l.get_ref()
                .iter()
                .map(|v| data(v, "the start", false))
                .collect::<Result<_, _>>()?
        }
    };
    let draws = match sampling_of(ctx, rc)? {
        Sampling::WithReplacement => Draws::WithReplacement,
        Sampling::Reshuffle => Draws::Reshuffle,
    };
    if draws == Draws::Reshuffle && s.len() > 64 {
        return Err(ctx.at(
            rc.sampling.span().start,
            format!(
                "reshuffling is propagated for up to 64 examples, not {}",
                s.len()
            ),
        ));
    }
    let budget = |v: &Option<Spanned<u64>>, default: u64, what: &str| -> Result<u64, LoadError> {
        match v {
            None => Ok(default),
            Some(x) if *x.get_ref() == 0 => {
                Err(ctx.at(x.span().start, format!("{what} must be positive")))
            }
            Some(x) => Ok(*x.get_ref()),
        }
    };
    let step = data(&rc.step, "the step size", true)?;
    let first_step = match &rc.first_step {
        Some(f) => data(f, "first_step", false)?,
        None => Expr::num(1),
    };
    let spec = LossSpec {
        id: rc.id.get_ref().trim().to_string(),
        loss,
        weights,
        fields,
        s,
        s_twin,
        step,
        first_step,
        start,
        draws,
        max_states: usize::try_from(budget(&rc.max_states, DEFAULT_MAX_STATES, "max_states")?)
            .unwrap_or(usize::MAX),
        max_seconds: budget(&rc.max_seconds, DEFAULT_MAX_SECONDS, "max_seconds")?,
    };
    let quantities = loss_quantities(&spec);
    Ok(ConstructionSpec::Loss(std::sync::Arc::new(LossEntry {
        spec,
        quantities,
    })))
}

/// The default state budget of a construction given by its loss.
pub const DEFAULT_MAX_STATES: u64 = 200_000;
/// The default time budget (seconds) of one evaluation of such a construction's quantity.
pub const DEFAULT_MAX_SECONDS: u64 = 30;

/// The quantities of a construction given by its loss, with their guards: the times in
/// the run's range, and conditions of positive probability (a point where one fails is
/// undecided, as for the quadratic family).
fn loss_quantities(spec: &LossSpec) -> Vec<Quantity> {
    let registered = spec.register();
    let call = |name: &str| {
        registered
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, _, e)| e.clone())
            .expect("registered")
    };
    let f = spec.first_step.clone();
    let rel = |lhs: Expr, rel: Rel, rhs: Expr| Relation { lhs, rel, rhs };
    let v = |n: &str| Expr::Var(n.into());
    registered
        .iter()
        .map(|(name, meaning, e)| {
            let t0 = if name.contains("t1") { "t1" } else { "t0" };
            let mut guards: Vec<(String, Relation)> = Vec::new();
            let uses_t = e.mentions("T");
            if e.mentions(t0) {
                guards.push((
                    format!("{t0} is a step of the run (F <= {t0})"),
                    rel(v(t0), Rel::Ge, f.clone()),
                ));
                if uses_t {
                    guards.push((format!("{t0} <= T"), rel(v(t0), Rel::Le, v("T"))));
                }
            } else if e.mentions("s") {
                guards.push((
                    "s is a step of the run (F <= s)".into(),
                    rel(v("s"), Rel::Ge, f.clone()),
                ));
                if uses_t {
                    guards.push(("s is before T".into(), rel(v("s"), Rel::Lt, v("T"))));
                }
            } else if name.starts_with("grad_")
                || name.starts_with("loss_")
                || name.starts_with("slope_")
            {
                guards.push((
                    "at least one step before T (F < T)".into(),
                    rel(v("T"), Rel::Gt, f.clone()),
                ));
            } else if uses_t {
                guards.push((
                    "T is a time of the run (F <= T)".into(),
                    rel(v("T"), Rel::Ge, f.clone()),
                ));
            }
            let p_zero = call(&format!("p_zero_{t0}"));
            if name.contains("given_zero") {
                guards.push((
                    format!("w_{t0} = w'_{t0} has positive probability"),
                    rel(p_zero.clone(), Rel::Gt, Expr::num(0)),
                ));
            }
            if name.contains("given_nonzero") {
                guards.push((
                    format!("w_{t0} != w'_{t0} has positive probability"),
                    rel(p_zero, Rel::Lt, Expr::num(1)),
                ));
            }
            if name.contains("given_first") {
                guards.push((
                    "H = s has positive probability".into(),
                    rel(call("p_first_s"), Rel::Gt, Expr::num(0)),
                ));
            }
            Quantity {
                name: name.clone(),
                meaning: meaning.clone(),
                expr: e.clone(),
                guards,
            }
        })
        .chain(
            spec.loss_functions()
                .into_iter()
                .map(|(name, meaning, expr)| Quantity {
                    name,
                    meaning,
                    expr,
                    guards: Vec::new(),
                }),
        )
        .collect()
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

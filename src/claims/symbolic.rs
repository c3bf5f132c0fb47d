//! Validation of a `[[symbolic]]` table: the bounds parse (shared definitions and `let`s
//! substituted), the claimed order or regime parses, assumptions and evaluation points are
//! exact.

use super::raw::{Ctx, RawSymbolic, Shared};
use super::{Body, Claim, LoadError, SymbolicOp, SymbolicSpec};
use crate::expr::{self, Expr};
use toml::Spanned;

/// Validates a `[[symbolic]]` table: the bounds parse (definitions and `let`s substituted),
/// the claimed order or regime parses, the assumptions and evaluation points are exact.
pub(super) fn validate_symbolic(
    ctx: &Ctx,
    rs: &RawSymbolic,
    shared: &Shared,
) -> Result<Claim, LoadError> {
    let id = rs.id.get_ref().trim().to_string();
    let op = match rs.op.get_ref().trim() {
        "order" => SymbolicOp::Order,
        "regime" => SymbolicOp::Regime,
        other => {
            return Err(ctx.at(
                rs.op.span().start,
                format!("unknown op `{other}` (expected \"order\" or \"regime\")"),
            ));
        }
    };
    let mut lets: Vec<(String, Expr)> = Vec::new();
    for l in &rs.lets {
        let (name, _, e, _) =
            expr::parse_definition(l.get_ref()).map_err(|e| ctx.parse_err(l, e))?;
        lets.push((name, e));
    }
    let bound = |s: &Spanned<String>| -> Result<Expr, LoadError> {
        let mut e = expr::parse_expr(s.get_ref()).map_err(|e| ctx.parse_err(s, e))?;
        // definitions first (they may use the let names), then the lets, last to first
        let too_large = |e: expr::TooLarge| ctx.at(s.span().start, e.0);
        for _ in 0..8 {
            for d in &shared.definitions {
                e = e.substitute_checked(&d.name, &d.expr).map_err(too_large)?;
            }
        }
        for (n, v) in lets.iter().rev() {
            e = e.substitute_checked(n, v).map_err(too_large)?;
        }
        Ok(e)
    };
    let a = bound(&rs.a)?;
    let b = bound(&rs.b)?;
    let claimed = rs.claimed.get_ref().clone();
    match op {
        SymbolicOp::Order => {
            expr::parse_expr(&claimed).map_err(|e| ctx.parse_err(&rs.claimed, e))?;
        }
        SymbolicOp::Regime => {
            expr::parse_relation(&claimed).map_err(|e| ctx.parse_err(&rs.claimed, e))?;
            if rs.solve_for.is_none() {
                return Err(ctx.at(rs.id.span().start, "a regime needs `solve_for`"));
            }
        }
    }
    for s in &rs.assume {
        expr::parse_assumption(s.get_ref()).map_err(|e| ctx.parse_err(s, e))?;
    }
    let evaluate = evaluation_points(ctx, &rs.evaluate)?;
    Ok(Claim {
        id,
        source: rs.source.get_ref().clone(),
        text: rs.text.get_ref().clone(),
        file: ctx.file.to_string(),
        params: Vec::new(),
        lets: Vec::new(),
        body: Body::Symbolic(SymbolicSpec {
            op,
            a,
            b,
            claimed,
            assume: rs.assume.iter().map(|s| s.get_ref().clone()).collect(),
            grow: rs
                .grow
                .iter()
                .map(|s| s.get_ref().trim().to_string())
                .collect(),
            solve_for: rs
                .solve_for
                .as_ref()
                .map(|s| s.get_ref().trim().to_string()),
            evaluate,
        }),
        threshold: None,
        best_constant: None,
        construction: None,
        guards: Vec::new(),
        constraints: Vec::new(),
    })
}

/// The `evaluate` points of a regime: `name = value, ...` with exact values.
fn evaluation_points(
    ctx: &Ctx,
    points: &[Spanned<String>],
) -> Result<Vec<Vec<(String, rug::Rational)>>, LoadError> {
    let mut evaluate = Vec::new();
    for s in points {
        let mut point = Vec::new();
        for part in s.get_ref().split(',') {
            let Some((n, v)) = part.split_once('=') else {
                return Err(ctx.at(s.span().start, "expected `name = value, ...`"));
            };
            let v = expr::parse_expr(v.trim())
                .ok()
                .and_then(|e| {
                    crate::engine::exact::eval_closed(&e, &crate::engine::exact::Budget::default())
                        .ok()
                })
                .ok_or_else(|| {
                    ctx.at(
                        s.span().start,
                        format!("`{}` is not an exact value", v.trim()),
                    )
                })?;
            point.push((n.trim().to_string(), v));
        }
        evaluate.push(point);
    }
    Ok(evaluate)
}

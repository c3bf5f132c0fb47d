//! Assumptions about a parameter for the symbolic engine, which reasons about unbounded
//! growth: the parameter syntax of claim files (`a in (0, 1)`, `n in 2..=1000`, `c = 1/10`,
//! `k in {1, 2}`), plus unbounded ranges (`n in [2, inf)`, `x in (-inf, 0]`, `n in 2..`)
//! and one-sided bounds (`n >= 2`, `a < 1`, `0 < a`). Parsing only; the bounds stay
//! expressions.

use super::*;

/// What an assumption says about one parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct Assumption {
    /// the parameter
    pub name: String,
    /// the lower end (`None`: unbounded) and whether it is excluded
    pub lo: Option<(Expr, bool)>,
    /// the upper end (`None`: unbounded) and whether it is excluded
    pub hi: Option<(Expr, bool)>,
    /// the parameter is an integer (an integer range)
    pub integer: bool,
    /// the parameter takes only these values (`k in {1, 2}`): `lo` and `hi` are their
    /// smallest and largest
    pub values: Option<Vec<Expr>>,
}

fn is_infinite(s: &str, sign: &str) -> bool {
    let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let bare = t
        .strip_prefix(sign)
        .unwrap_or(if sign == "+" { &t } else { "" });
    matches!(bare, "inf" | "infinity" | "∞" | "oo")
}

fn err(offset: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        offset,
        message: message.into(),
    }
}

fn shifted(e: ParseError, by: usize) -> ParseError {
    err(e.offset + by, e.message)
}

/// Parses one assumption (see the module documentation for the forms).
pub fn parse_assumption(src: &str) -> Result<Assumption, ParseError> {
    // `NAME in [lo, inf)` and the other bracket forms with an infinite end
    if let Some(i) = src.find(" in ") {
        let name = src[..i].trim();
        let dom_start = i + 4 + (src[i + 4..].len() - src[i + 4..].trim_start().len());
        let dom = src[dom_start..].trim_end();
        let open = dom.chars().next();
        let close = dom.chars().last();
        if matches!(open, Some('[' | '('))
            && matches!(close, Some(']' | ')'))
            && let Some(comma) = dom.find(',')
        {
            let (a, b) = (&dom[1..comma], &dom[comma + 1..dom.len() - 1]);
            if is_infinite(a, "+") || is_infinite(b, "-") {
                return Err(err(
                    dom_start,
                    "an interval runs from -inf to inf, not the other way",
                ));
            }
            if is_infinite(a, "-") || is_infinite(b, "+") {
                let end = |s: &str, at: usize, excluded: bool, sign: &str| {
                    if is_infinite(s, sign) {
                        Ok(None)
                    } else {
                        parse_expr(s)
                            .map(|e| Some((e, excluded)))
                            .map_err(|e| shifted(e, at))
                    }
                };
                return Ok(Assumption {
                    name: valid(name, 0)?,
                    lo: end(a, dom_start + 1, open == Some('('), "-")?,
                    hi: end(b, dom_start + comma + 1, close == Some(')'), "+")?,
                    integer: false,
                    values: None,
                });
            }
        }
        // `n in 2..` and `n in 2..=inf`: integers from 2 on
        if let Some(lo) = dom
            .strip_suffix("..")
            .or_else(|| dom.strip_suffix("..=inf"))
            .or_else(|| dom.strip_suffix("..inf"))
        {
            let lo = parse_expr(lo).map_err(|e| shifted(e, dom_start))?;
            return Ok(Assumption {
                name: valid(name, 0)?,
                lo: Some((lo, false)),
                hi: None,
                integer: true,
                values: None,
            });
        }
    }
    // one-sided: `n >= 2`, `2 <= n`, `a < 1`
    if !src.contains(" in ")
        && let Ok(r) = parse_relation(src)
        && r.rel != Rel::Eq
    {
        let (name, bound, rel) = match (&r.lhs, &r.rhs) {
            (Expr::Var(n), b) => (n.clone(), b.clone(), r.rel),
            (b, Expr::Var(n)) => (n.clone(), b.clone(), r.rel.flipped()),
            _ => {
                return Err(err(
                    0,
                    "an assumption compares a parameter with a constant (`n >= 2`)",
                ));
            }
        };
        let (lo, hi) = match rel {
            Rel::Ge => (Some((bound, false)), None),
            Rel::Gt => (Some((bound, true)), None),
            Rel::Le => (None, Some((bound, false))),
            Rel::Lt => (None, Some((bound, true))),
            Rel::Eq => unreachable!("excluded above"),
        };
        return Ok(Assumption {
            name,
            lo,
            hi,
            integer: false,
            values: None,
        });
    }
    let (p, _) = parse_param(src)?;
    let (lo, hi, integer, values) = match p.domain {
        DomainSpec::Fixed(v) => (Some((v.clone(), false)), Some((v, false)), false, None),
        DomainSpec::Real {
            lo,
            lo_closed,
            hi,
            hi_closed,
        } => (Some((lo, !lo_closed)), Some((hi, !hi_closed)), false, None),
        DomainSpec::IntRange {
            lo, hi, inclusive, ..
        } => {
            let hi = if inclusive {
                hi
            } else {
                Expr::bin(BinOp::Sub, hi, Expr::Num(Rational::from(1)))
            };
            (Some((lo, false)), Some((hi, false)), true, None)
        }
        DomainSpec::Set(vs) => (None, None, false, Some(vs)),
    };
    Ok(Assumption {
        name: p.name,
        lo,
        hi,
        integer,
        values,
    })
}

fn valid(name: &str, at: usize) -> Result<String, ParseError> {
    if is_valid_name(name) {
        Ok(name.to_string())
    } else {
        Err(err(at, format!("`{name}` is not a parameter name")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(n: i64) -> Expr {
        Expr::Num(Rational::from(n))
    }

    #[test]
    fn unbounded_and_one_sided_forms() {
        let a = parse_assumption("n >= 2").unwrap();
        assert_eq!(
            (a.name.as_str(), a.lo, a.hi),
            ("n", Some((num(2), false)), None)
        );
        let a = parse_assumption("0 < a").unwrap();
        assert_eq!((a.lo, a.hi), (Some((num(0), true)), None));
        let a = parse_assumption("a < 1").unwrap();
        assert_eq!((a.lo, a.hi), (None, Some((num(1), true))));
        let a = parse_assumption("n in [2, inf)").unwrap();
        assert_eq!(
            (a.lo, a.hi, a.integer),
            (Some((num(2), false)), None, false)
        );
        let a = parse_assumption("x in (-inf, 0]").unwrap();
        assert_eq!((a.lo, a.hi), (None, Some((num(0), false))));
        let a = parse_assumption("n in 2..").unwrap();
        assert_eq!((a.lo, a.hi, a.integer), (Some((num(2), false)), None, true));
        // the claim-file forms still parse
        let a = parse_assumption("a in (0, 1)").unwrap();
        assert_eq!((a.lo, a.hi), (Some((num(0), true)), Some((num(1), true))));
        let a = parse_assumption("n in 2..=10").unwrap();
        assert!(a.integer && a.hi == Some((num(10), false)));
        assert!(parse_assumption("n in [inf, 2]").is_err());
        assert!(parse_assumption("n + m >= 2").is_err());
        assert!(parse_assumption("sum in [0, inf)").is_err());
    }
}

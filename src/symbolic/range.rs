//! Sound ranges of expressions under parameter assumptions: exact rational ends, each open or
//! closed, or unbounded. This is the sign analysis every symbolic rule consults (`x/x = 1`
//! needs `x != 0`, `x^a x^b = x^(a+b)` needs `x > 0`): it only ever widens, so "positive"
//! means proved positive.

use crate::expr::{BinOp, Expr, Func};
use rug::Rational;
use std::collections::BTreeMap;

/// One end of a range: the value and whether it is excluded (strict).
pub type End = Option<(Rational, bool)>;

/// A set of reals `{x : lo < or <= x < or <= hi}`; `None` ends are infinite.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Range {
    /// lower end and whether it is excluded
    pub lo: End,
    /// upper end and whether it is excluded
    pub hi: End,
}

impl Range {
    /// Every real.
    pub fn all() -> Range {
        Range { lo: None, hi: None }
    }

    /// The single value `q`.
    pub fn point(q: &Rational) -> Range {
        Range {
            lo: Some((q.clone(), false)),
            hi: Some((q.clone(), false)),
        }
    }

    /// `(0, inf)`.
    pub fn positive() -> Range {
        Range {
            lo: Some((Rational::new(), true)),
            hi: None,
        }
    }

    /// Proved `> 0`.
    pub fn is_pos(&self) -> bool {
        matches!(&self.lo, Some((l, s)) if *l > 0 || (*l == 0 && *s))
    }

    /// Proved `>= 0`.
    pub fn is_nonneg(&self) -> bool {
        matches!(&self.lo, Some((l, _)) if *l >= 0)
    }

    /// Proved `< 0`.
    pub fn is_neg(&self) -> bool {
        matches!(&self.hi, Some((h, s)) if *h < 0 || (*h == 0 && *s))
    }

    /// Proved `!= 0`.
    pub fn is_nonzero(&self) -> bool {
        self.is_pos() || self.is_neg()
    }

    /// Proved `< 1` (used for `1 - a`-style factors).
    pub fn below_one(&self) -> bool {
        matches!(&self.hi, Some((h, s)) if *h < 1 || (*h == 1 && *s))
    }

    /// The tighter of two ranges known to hold for the same quantity.
    pub fn meet(&self, other: &Range) -> Range {
        let lo = match (&self.lo, &other.lo) {
            (None, x) | (x, None) => x.clone(),
            (Some((a, sa)), Some((b, sb))) => Some(if a > b {
                (a.clone(), *sa)
            } else if b > a {
                (b.clone(), *sb)
            } else {
                (a.clone(), *sa || *sb)
            }),
        };
        let hi = match (&self.hi, &other.hi) {
            (None, x) | (x, None) => x.clone(),
            (Some((a, sa)), Some((b, sb))) => Some(if a < b {
                (a.clone(), *sa)
            } else if b < a {
                (b.clone(), *sb)
            } else {
                (a.clone(), *sa || *sb)
            }),
        };
        Range { lo, hi }
    }

    /// `-x`.
    pub fn neg(&self) -> Range {
        let f = |e: &End| e.as_ref().map(|(v, s)| (Rational::from(-v), *s));
        Range {
            lo: f(&self.hi),
            hi: f(&self.lo),
        }
    }

    /// `x + y`.
    pub fn add(&self, o: &Range) -> Range {
        let f = |a: &End, b: &End| match (a, b) {
            (Some((x, s)), Some((y, t))) => Some((Rational::from(x + y), *s || *t)),
            _ => None,
        };
        Range {
            lo: f(&self.lo, &o.lo),
            hi: f(&self.hi, &o.hi),
        }
    }

    /// `x * y` (exact on sign-definite ranges, everything otherwise).
    pub fn mul(&self, o: &Range) -> Range {
        match (
            self.is_nonneg(),
            o.is_nonneg(),
            self.is_nonpos(),
            o.is_nonpos(),
        ) {
            (true, true, _, _) => mul_nonneg(self, o),
            (_, _, true, true) => mul_nonneg(&self.neg(), &o.neg()),
            (true, _, _, true) => mul_nonneg(self, &o.neg()).neg(),
            (_, true, true, _) => mul_nonneg(&self.neg(), o).neg(),
            _ => Range::all(),
        }
    }

    /// Proved `<= 0`.
    pub fn is_nonpos(&self) -> bool {
        matches!(&self.hi, Some((h, _)) if *h <= 0)
    }

    /// `1 / x` (everything unless x is sign-definite and nonzero).
    pub fn recip(&self) -> Range {
        if self.is_pos() {
            let (l, ls) = self.lo.clone().expect("positive has a lower end");
            let hi = if l == 0 {
                None
            } else {
                Some((Rational::from(l.recip_ref()), ls))
            };
            let lo = match &self.hi {
                None => Some((Rational::new(), true)),
                Some((h, hs)) => Some((Rational::from(h.recip_ref()), *hs)),
            };
            Range { lo, hi }
        } else if self.is_neg() {
            self.neg().recip().neg()
        } else {
            Range::all()
        }
    }

    /// `x / y`.
    pub fn div(&self, o: &Range) -> Range {
        self.mul(&o.recip())
    }
}

/// `x * y` for `x, y >= 0`.
fn mul_nonneg(a: &Range, b: &Range) -> Range {
    let (l1, s1) = a.lo.clone().expect("nonneg");
    let (l2, s2) = b.lo.clone().expect("nonneg");
    // the lower end l1*l2 is attained when both ends are, or when a zero end is
    let zero_end = (!s1 && l1 == 0) || (!s2 && l2 == 0);
    let attained = zero_end || !(s1 || s2);
    let lo = Some((Rational::from(&l1 * &l2), !attained));
    let hi = match (&a.hi, &b.hi) {
        (Some((h1, t1)), Some((h2, t2))) => {
            let p = Rational::from(h1 * h2);
            let zero = (*h1 == 0 && !t1) || (*h2 == 0 && !t2);
            Some((p, !zero && (*t1 || *t2)))
        }
        (Some((h, t)), None) | (None, Some((h, t))) if *h == 0 && !t => {
            Some((Rational::new(), false))
        }
        _ => None,
    };
    Range { lo, hi }
}

/// What is assumed about each parameter.
#[derive(Clone, Debug, Default)]
pub struct Assumptions {
    /// ranges by name; a name not listed is assumed positive (the symbolic engine's default:
    /// sizes, step counts, constants)
    pub ranges: BTreeMap<String, Range>,
    /// names assumed to be integers
    pub integers: Vec<String>,
}

impl Assumptions {
    /// Adds `spec`: the claim-file parameter syntax (`a in (0, 1)`, `n in 2..=1000`,
    /// `c = 1/10`) or an unbounded or one-sided range (`n in [2, inf)`, `n in 2..`,
    /// `n >= 2`); the bounds must be constants. Two assumptions about one parameter both hold
    /// (`a > 0` and `a < 1` make `a in (0, 1)`).
    pub fn add(&mut self, spec: &str) -> Result<(), String> {
        let a = crate::expr::parse_assumption(spec)
            .map_err(|e| format!("--assume {spec}: {}", e.message))?;
        let konst = |e: &Expr| -> Result<Rational, String> {
            crate::engine::exact::eval_closed(e, &crate::engine::exact::Budget::default())
                .map_err(|e| format!("--assume {spec}: bounds must be rational constants ({e})"))
        };
        let end = |x: &Option<(Expr, bool)>| -> Result<End, String> {
            x.as_ref()
                .map(|(e, excluded)| Ok((konst(e)?, *excluded)))
                .transpose()
        };
        let r = match &a.values {
            Some(vs) => {
                let mut vals = Vec::new();
                for v in vs {
                    vals.push(konst(v)?);
                }
                let lo = vals.iter().min().cloned().ok_or("empty set")?;
                let hi = vals.iter().max().cloned().ok_or("empty set")?;
                Range {
                    lo: Some((lo, false)),
                    hi: Some((hi, false)),
                }
            }
            None => Range {
                lo: end(&a.lo)?,
                hi: end(&a.hi)?,
            },
        };
        if a.integer && !self.integers.contains(&a.name) {
            self.integers.push(a.name.clone());
        }
        let r = match self.ranges.get(&a.name) {
            Some(prev) => prev.meet(&r),
            None => r,
        };
        if let (Some((l, ls)), Some((h, hs))) = (&r.lo, &r.hi)
            && (l > h || (l == h && (*ls || *hs)))
        {
            return Err(format!(
                "--assume {spec}: together with the other assumptions about `{}`, no value is left",
                a.name
            ));
        }
        self.ranges.insert(a.name, r);
        Ok(())
    }

    /// The range of a parameter (positive when nothing was said).
    pub fn of(&self, name: &str) -> Range {
        self.ranges
            .get(name)
            .cloned()
            .unwrap_or_else(Range::positive)
    }

    /// A sound range of `e` (bound variables of sums and the like are not supported: all).
    pub fn range(&self, e: &Expr) -> Range {
        match e {
            Expr::Num(q) => Range::point(q),
            Expr::Var(n) => self.of(n),
            Expr::Neg(a) => self.range(a).neg(),
            Expr::Bin(op, a, b) => {
                let (x, y) = (self.range(a), self.range(b));
                match op {
                    BinOp::Add => x.add(&y),
                    BinOp::Sub => x.add(&y.neg()),
                    BinOp::Mul => x.mul(&y),
                    BinOp::Div => x.div(&y),
                    BinOp::Pow => {
                        if x.is_pos() {
                            Range::positive()
                        } else if x.is_nonneg() && y.is_pos() {
                            Range {
                                lo: Some((Rational::new(), false)),
                                hi: None,
                            }
                        } else {
                            Range::all()
                        }
                    }
                }
            }
            Expr::Call(f, args) => {
                let x = self.range(&args[0]);
                match f {
                    Func::Exp => Range::positive(),
                    Func::Sqrt if x.is_pos() => Range::positive(),
                    Func::Sqrt | Func::Abs => Range {
                        lo: Some((Rational::new(), false)),
                        hi: None,
                    },
                    Func::Ln if matches!(&x.lo, Some((l, s)) if *l > 1 || (*l == 1 && *s)) => {
                        Range::positive()
                    }
                    _ => Range::all(),
                }
            }
            _ => Range::all(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse_expr;

    fn q(s: &str) -> Rational {
        s.parse().unwrap()
    }

    #[test]
    fn signs_under_assumptions() {
        let mut a = Assumptions::default();
        a.add("a in (0, 1)").unwrap();
        a.add("n in 2..=1000").unwrap();
        let r = |s: &str| a.range(&parse_expr(s).unwrap());
        assert!(r("1 - a").is_pos());
        assert!(r("(n - 1)/n").is_pos());
        assert!(r("a^2/(1 + a)").is_pos());
        assert!(!r("a - 1/2").is_nonzero());
        assert!(r("-a").is_neg());
        assert!(r("T*L^2").is_pos()); // unnamed parameters are positive
        assert!(!r("n - 2").is_pos() && r("n - 2").is_nonneg());
        // (0, 1) * [2, 1000] = (0, 1000)
        let p = r("a*n");
        assert_eq!(p.lo, Some((q("0"), true)));
        assert_eq!(p.hi, Some((q("1000"), true)));
    }
}

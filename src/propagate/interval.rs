//! Rigorous enclosures for losses whose values are irrational at rational points (`exp`,
//! `ln`, `sqrt`, real powers: the logistic loss): forward-mode differentiation over
//! intervals with MPFR endpoints rounded outward at [`INTERVAL_BITS`] bits. A walk over such
//! a loss keeps, for each iterate, a box (one interval per weight, endpoints stored as exact
//! dyadic rationals) that contains the true iterate of every index sequence that led to it.
//!
//! Soundness rests on inclusion monotonicity: every operation's result contains the exact
//! result for every point of its argument boxes, so a box computed from a box contains the
//! images of all its points; two sequences whose boxes come out bit-identical may share a
//! state (its box contains both true iterates). At kinks the exact engine's convention is
//! enclosed too: over a box where it is not decided which branch applies, the derivative is
//! the hull of the branches' derivatives (`abs'` over a box around 0 is [−1, 1], which
//! contains the convention's 0; `min`/`max` take the hull of every argument that may attain
//! the value).

use super::{PropagateError, not_in_a_loss};
use crate::expr::{BinOp, Expr, Func};
use rug::float::Round;
use rug::ops::Pow;
use rug::{Float, Rational};
use std::cmp::Ordering;
use std::collections::HashMap;

/// Bits of the endpoints of iterates' boxes.
pub(crate) const INTERVAL_BITS: u32 = 256;

/// A closed interval [lo, hi] with MPFR endpoints.
#[derive(Clone, Debug)]
pub(crate) struct Iv {
    pub(crate) lo: Float,
    pub(crate) hi: Float,
}

fn down<T>(v: T) -> Float
where
    Float: rug::ops::AssignRound<T, Round = Round, Ordering = Ordering>,
{
    Float::with_val_round(INTERVAL_BITS, v, Round::Down).0
}

fn up<T>(v: T) -> Float
where
    Float: rug::ops::AssignRound<T, Round = Round, Ordering = Ordering>,
{
    Float::with_val_round(INTERVAL_BITS, v, Round::Up).0
}

fn overflow() -> PropagateError {
    PropagateError::Undefined(
        "an enclosure of the loss or of an iterate overflowed (not a finite number)".into(),
    )
}

impl Iv {
    /// The tightest enclosure of a rational.
    pub(crate) fn point(v: &Rational) -> Iv {
        Iv {
            lo: down(v),
            hi: up(v),
        }
    }

    /// [lo, hi] from rational endpoints (rounded outward).
    pub(crate) fn of(lo: &Rational, hi: &Rational) -> Iv {
        Iv {
            lo: down(lo),
            hi: up(hi),
        }
    }

    fn zero() -> Iv {
        Iv::point(&Rational::new())
    }

    /// The endpoints as exact rationals.
    pub(crate) fn bounds(&self) -> Result<(Rational, Rational), PropagateError> {
        match (self.lo.to_rational(), self.hi.to_rational()) {
            (Some(a), Some(b)) => Ok((a, b)),
            _ => Err(overflow()),
        }
    }

    fn contains_zero(&self) -> bool {
        self.lo <= 0 && self.hi >= 0
    }

    fn add(&self, o: &Iv) -> Iv {
        Iv {
            lo: down(&self.lo + &o.lo),
            hi: up(&self.hi + &o.hi),
        }
    }

    fn sub(&self, o: &Iv) -> Iv {
        Iv {
            lo: down(&self.lo - &o.hi),
            hi: up(&self.hi - &o.lo),
        }
    }

    fn neg(&self) -> Iv {
        Iv {
            lo: Float::with_val(INTERVAL_BITS, -&self.hi),
            hi: Float::with_val(INTERVAL_BITS, -&self.lo),
        }
    }

    fn mul(&self, o: &Iv) -> Iv {
        let ends = [
            (&self.lo, &o.lo),
            (&self.lo, &o.hi),
            (&self.hi, &o.lo),
            (&self.hi, &o.hi),
        ];
        let lo = ends
            .iter()
            .map(|(a, b)| down(*a * *b))
            .reduce(|x, y| if y < x { y } else { x })
            .expect("four products");
        let hi = ends
            .iter()
            .map(|(a, b)| up(*a * *b))
            .reduce(|x, y| if y > x { y } else { x })
            .expect("four products");
        Iv { lo, hi }
    }

    fn div(&self, o: &Iv) -> Result<Iv, PropagateError> {
        if o.contains_zero() {
            return Err(PropagateError::Undefined(
                "a division by an enclosure that contains 0 in the loss".into(),
            ));
        }
        let recip = Iv {
            lo: down(1 / &o.hi),
            hi: up(1 / &o.lo),
        };
        Ok(self.mul(&recip))
    }

    /// x^k for an integer k (exact monotone cases; even powers of a box around 0 start at 0).
    fn powi(&self, k: i32) -> Result<Iv, PropagateError> {
        if k < 0 {
            return Iv::point(&Rational::from(1)).div(&self.powi(-k)?);
        }
        if k == 0 {
            return Ok(Iv::point(&Rational::from(1)));
        }
        let k = k as u32;
        if k % 2 == 1 || self.lo >= 0 {
            return Ok(Iv {
                lo: down((&self.lo).pow(k)),
                hi: up((&self.hi).pow(k)),
            });
        }
        if self.hi <= 0 {
            return Ok(Iv {
                lo: down((&self.hi).pow(k)),
                hi: up((&self.lo).pow(k)),
            });
        }
        let m = if Float::with_val(INTERVAL_BITS, -&self.lo) > self.hi {
            Float::with_val(INTERVAL_BITS, -&self.lo)
        } else {
            self.hi.clone()
        };
        Ok(Iv {
            lo: Float::new(INTERVAL_BITS),
            hi: up((&m).pow(k)),
        })
    }

    fn exp(&self) -> Iv {
        Iv {
            lo: down(self.lo.exp_ref()),
            hi: up(self.hi.exp_ref()),
        }
    }

    fn ln(&self) -> Result<Iv, PropagateError> {
        if self.lo <= 0 {
            return Err(PropagateError::Undefined(
                "ln of an enclosure that reaches 0 or below in the loss".into(),
            ));
        }
        Ok(Iv {
            lo: down(self.lo.ln_ref()),
            hi: up(self.hi.ln_ref()),
        })
    }

    fn sqrt(&self) -> Result<Iv, PropagateError> {
        if self.lo < 0 {
            return Err(PropagateError::Undefined(
                "sqrt of an enclosure that reaches below 0 in the loss".into(),
            ));
        }
        Ok(Iv {
            lo: down(self.lo.sqrt_ref()),
            hi: up(self.hi.sqrt_ref()),
        })
    }

    /// `self − a·g`.
    pub(crate) fn sub_scaled(&self, a: &Iv, g: &Iv) -> Iv {
        self.sub(&a.mul(g))
    }

    /// Σ x_k² (each square from 0 when its interval contains 0).
    pub(crate) fn sum_of_squares(xs: &[Iv]) -> Iv {
        xs.iter()
            .map(|x| x.powi(2).expect("a non-negative power"))
            .fold(Iv::zero(), |acc, x| acc.add(&x))
    }

    fn hull(&self, o: &Iv) -> Iv {
        Iv {
            lo: if o.lo < self.lo {
                o.lo.clone()
            } else {
                self.lo.clone()
            },
            hi: if o.hi > self.hi {
                o.hi.clone()
            } else {
                self.hi.clone()
            },
        }
    }

    fn finite(self) -> Result<Iv, PropagateError> {
        if self.lo.is_finite() && self.hi.is_finite() {
            Ok(self)
        } else {
            Err(overflow())
        }
    }
}

/// An enclosure of a value and of its gradient with respect to the weights.
#[derive(Clone, Debug)]
pub(crate) struct IDual {
    pub(crate) v: Iv,
    pub(crate) g: Vec<Iv>,
}

impl IDual {
    pub(crate) fn constant(v: Iv, d: usize) -> IDual {
        IDual {
            v,
            g: vec![Iv::zero(); d],
        }
    }

    fn scaled(&self, k: &Iv) -> Vec<Iv> {
        self.g.iter().map(|x| x.mul(k)).collect()
    }
}

fn zip(a: &[Iv], b: &[Iv], f: impl Fn(&Iv, &Iv) -> Iv) -> Vec<Iv> {
    a.iter().zip(b).map(|(x, y)| f(x, y)).collect()
}

/// Encloses `e` and its gradient over the boxes bound in `vals` (weights carry unit
/// gradients); the conventions at kinks are enclosed as the module says.
pub(crate) fn idual(
    e: &Expr,
    vals: &HashMap<&str, IDual>,
    d: usize,
) -> Result<IDual, PropagateError> {
    let r = match e {
        Expr::Num(v) => IDual::constant(Iv::point(v), d),
        Expr::Var(n) => vals
            .get(n.as_str())
            .cloned()
            .ok_or_else(|| PropagateError::Unsupported(format!("`{n}` has no value")))?,
        Expr::Neg(a) => {
            let a = idual(a, vals, d)?;
            IDual {
                v: a.v.neg(),
                g: a.g.iter().map(Iv::neg).collect(),
            }
        }
        Expr::Bin(op, a, b) => {
            // a constant integer exponent keeps powers of negative bases defined
            if *op == BinOp::Pow
                && let Expr::Num(k) = b.as_ref()
                && k.is_integer()
            {
                let k = k.numer().to_i32().ok_or_else(|| {
                    PropagateError::Unsupported(format!("the exponent {k} is too large"))
                })?;
                let a = idual(a, vals, d)?;
                let v = a.v.powi(k)?;
                let coef = if k == 0 {
                    Iv::zero()
                } else {
                    Iv::point(&Rational::from(k)).mul(&a.v.powi(k - 1)?)
                };
                return Ok(IDual {
                    g: a.scaled(&coef),
                    v,
                });
            }
            let (a, b) = (idual(a, vals, d)?, idual(b, vals, d)?);
            match op {
                BinOp::Add => IDual {
                    v: a.v.add(&b.v),
                    g: zip(&a.g, &b.g, Iv::add),
                },
                BinOp::Sub => IDual {
                    v: a.v.sub(&b.v),
                    g: zip(&a.g, &b.g, Iv::sub),
                },
                BinOp::Mul => IDual {
                    g: zip(&a.scaled(&b.v), &b.scaled(&a.v), Iv::add),
                    v: a.v.mul(&b.v),
                },
                BinOp::Div => {
                    // (a' - (a/b) b') / b
                    let q = a.v.div(&b.v)?;
                    let g = zip(&a.g, &b.scaled(&q), Iv::sub)
                        .iter()
                        .map(|x| x.div(&b.v))
                        .collect::<Result<Vec<_>, _>>()?;
                    IDual { v: q, g }
                }
                BinOp::Pow => {
                    // a^b = exp(b ln a) for a > 0
                    let la = a.v.ln()?;
                    let v = b.v.mul(&la).exp();
                    // (b' ln a + b a'/a) a^b
                    let ga =
                        a.g.iter()
                            .map(|x| x.div(&a.v))
                            .collect::<Result<Vec<_>, _>>()?;
                    let inner = zip(&b.scaled(&la), &ga, |x, y| x.add(&y.mul(&b.v)));
                    IDual {
                        g: inner.iter().map(|x| x.mul(&v)).collect(),
                        v,
                    }
                }
            }
        }
        Expr::Call(f, args) => {
            let xs: Vec<IDual> = args
                .iter()
                .map(|x| idual(x, vals, d))
                .collect::<Result<_, _>>()?;
            let a = &xs[0];
            match f {
                Func::Exp => {
                    let v = a.v.exp();
                    IDual { g: a.scaled(&v), v }
                }
                Func::Ln => {
                    let v = a.v.ln()?;
                    let g = a.g.iter().map(|x| x.div(&a.v)).collect::<Result<_, _>>()?;
                    IDual { v, g }
                }
                Func::Sqrt => {
                    let v = a.v.sqrt()?;
                    let two_v = v.add(&v);
                    let g =
                        a.g.iter()
                            .map(|x| x.div(&two_v))
                            .collect::<Result<_, _>>()?;
                    IDual { v, g }
                }
                Func::Abs => {
                    let sign = |x: &Float| Rational::from(x.cmp0().map_or(0, |o| o as i32));
                    // sign is monotone: [sign(lo), sign(hi)] holds the convention's value
                    let s = Iv::of(&sign(&a.v.lo), &sign(&a.v.hi));
                    let v = if a.v.lo >= 0 {
                        a.v.clone()
                    } else if a.v.hi <= 0 {
                        a.v.neg()
                    } else {
                        Iv {
                            lo: Float::new(INTERVAL_BITS),
                            hi: a.v.neg().lo.max(&a.v.hi),
                        }
                    };
                    IDual { g: a.scaled(&s), v }
                }
                Func::Min | Func::Max => extreme(&xs, *f == Func::Min),
                Func::Floor | Func::Ceil => {
                    let r = |x: &Float| {
                        let mut x = x.clone();
                        if *f == Func::Floor {
                            x.floor_mut();
                        } else {
                            x.ceil_mut();
                        }
                        x
                    };
                    IDual::constant(
                        Iv {
                            lo: r(&a.v.lo),
                            hi: r(&a.v.hi),
                        },
                        d,
                    )
                }
                Func::Opaque(_) => return Err(not_in_a_loss(e)),
            }
        }
        Expr::Big { .. } | Expr::Rec { .. } => return Err(not_in_a_loss(e)),
    };
    Ok(IDual {
        v: r.v.finite()?,
        g: r.g.into_iter().map(Iv::finite).collect::<Result<_, _>>()?,
    })
}

/// `min` (or `max`) of the arguments: the argument that attains it when the boxes decide
/// which one (the first attaining it, as the exact convention), else the hull over every
/// argument that may be that one.
fn extreme(xs: &[IDual], min: bool) -> IDual {
    // may x be strictly better than y (or, `or_equal`, at least as good)?
    let may_beat = |x: &Iv, y: &Iv, or_equal: bool| {
        let (a, b) = if min { (&y.hi, &x.lo) } else { (&x.hi, &y.lo) };
        if or_equal { a >= b } else { a > b }
    };
    let candidates: Vec<&IDual> = xs
        .iter()
        .enumerate()
        .filter(|(i, x)| {
            xs.iter()
                .enumerate()
                .all(|(j, y)| j == *i || may_beat(&x.v, &y.v, j > *i))
        })
        .map(|(_, x)| x)
        .collect();
    if candidates.len() == 1 {
        return candidates[0].clone();
    }
    let v = Iv {
        lo: xs
            .iter()
            .map(|x| x.v.lo.clone())
            .reduce(|a, b| if (b < a) == min { b } else { a })
            .expect("an argument"),
        hi: xs
            .iter()
            .map(|x| x.v.hi.clone())
            .reduce(|a, b| if (b < a) == min { b } else { a })
            .expect("an argument"),
    };
    let mut g = candidates[0].g.clone();
    for c in &candidates[1..] {
        g = zip(&g, &c.g, Iv::hull);
    }
    IDual { v, g }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse_expr;

    fn at(src: &str, w: &str) -> IDual {
        let mut vals = HashMap::new();
        let mut x = IDual::constant(Iv::point(&w.parse::<Rational>().unwrap()), 1);
        x.g[0] = Iv::point(&Rational::from(1));
        vals.insert("w", x);
        idual(&parse_expr(src).unwrap(), &vals, 1).unwrap()
    }

    fn contains(iv: &Iv, x: f64) -> bool {
        iv.lo <= x && iv.hi >= x
    }

    /// The enclosures contain the values and derivatives computed in f64 (to well within
    /// their widths) and are narrow: the logistic loss and its derivative at 1/3.
    #[test]
    fn logistic_value_and_derivative_are_enclosed_tightly() {
        let d = at("ln(1 + exp(-2*w))", "1/3");
        let x: f64 = 1.0 / 3.0;
        let v = (1.0 + (-2.0 * x).exp()).ln();
        let g = -2.0 / (1.0 + (2.0 * x).exp());
        let width = |iv: &Iv| Float::with_val(64, &iv.hi - &iv.lo).to_f64();
        assert!(width(&d.v) < 1e-70 && width(&d.g[0]) < 1e-70);
        // f64 values are within 1e-15 of the truth: compare with that slack
        assert!(d.v.lo.to_f64() - v <= 1e-15 && v - d.v.hi.to_f64() <= 1e-15);
        assert!(d.g[0].lo.to_f64() - g <= 1e-15 && g - d.g[0].hi.to_f64() <= 1e-15);
        // a real power and a square root
        let d = at("(1 + w^2)^(1/2) - sqrt(1 + w^2)", "2");
        assert!(contains(&d.v, 0.0) && contains(&d.g[0], 0.0));
    }

    /// The conventions at kinks hold at points, and over a box the hull contains them.
    #[test]
    fn kinks_at_points_and_over_boxes() {
        let d = at("abs(w)", "0");
        assert!(d.g[0].lo == 0 && d.g[0].hi == 0);
        let d = at("max(w, 2*w - 1)", "1");
        assert!(d.g[0].lo == 1 && d.g[0].hi == 1);
        let d = at("max(2*w - 1, w)", "1");
        assert!(d.g[0].lo == 2 && d.g[0].hi == 2);
        // w in [-1/10, 1/5]: |w| has derivative in [-1, 1], value in [0, 1/5]
        let mut vals = HashMap::new();
        let mut x = IDual::constant(
            Iv::of(&Rational::from((-1, 10)), &Rational::from((1, 5))),
            1,
        );
        x.g[0] = Iv::point(&Rational::from(1));
        vals.insert("w", x);
        let d = idual(&parse_expr("abs(w)").unwrap(), &vals, 1).unwrap();
        assert!(d.g[0].lo == -1 && d.g[0].hi == 1 && d.v.lo == 0);
        assert!(d.v.hi >= Rational::from((1, 5)));
        let d = idual(&parse_expr("w^2").unwrap(), &vals, 1).unwrap();
        assert!(d.v.lo == 0 && d.v.hi >= Rational::from((1, 25)) && d.v.hi < 0.0401);
        let d = idual(&parse_expr("min(w, 0)").unwrap(), &vals, 1).unwrap();
        assert!(d.g[0].lo == 0 && d.g[0].hi == 1);
        // ln of a box reaching 0 is refused, not guessed
        assert!(idual(&parse_expr("ln(w)").unwrap(), &vals, 1).is_err());
    }
}

//! The printer: expressions back in the claim language, with the fewest parentheses that
//! keep the parse, and exact rationals as terminating decimals or fractions.

use super::*;

pub(super) const PREC_ADD: u8 = 1;
pub(super) const PREC_MUL: u8 = 2;
pub(super) const PREC_NEG: u8 = 3;
pub(super) const PREC_POW: u8 = 4;
pub(super) const PREC_ATOM: u8 = 5;

pub(super) fn prec(e: &Expr) -> u8 {
    match e {
        // a negative or non-terminating literal prints parenthesised, so every literal is an atom
        Expr::Num(_) | Expr::Var(_) | Expr::Call(..) | Expr::Big { .. } | Expr::Rec { .. } => {
            PREC_ATOM
        }
        Expr::Neg(_) => PREC_NEG,
        Expr::Bin(op, ..) => match op {
            BinOp::Add | BinOp::Sub => PREC_ADD,
            BinOp::Mul | BinOp::Div => PREC_MUL,
            BinOp::Pow => PREC_POW,
        },
    }
}

pub(super) fn is_terminating(v: &Rational) -> bool {
    let mut d = v.denom().clone();
    d.remove_factor_mut(&Integer::from(2));
    d.remove_factor_mut(&Integer::from(5));
    d == 1
}

/// Formats a rational exactly as a decimal literal when its decimal expansion terminates
/// (`0.99`, `0.001`), otherwise as `p/q`.
pub fn rational_literal(v: &Rational) -> String {
    if v.is_integer() {
        return v.numer().to_string();
    }
    if !is_terminating(v) {
        return format!("{}/{}", v.numer(), v.denom());
    }
    let mut d = v.denom().clone();
    let twos = d.remove_factor_mut(&Integer::from(2));
    let fives = d.remove_factor_mut(&Integer::from(5));
    let k = twos.max(fives);
    let scaled = (v.numer() * Integer::from(10).pow(k)) / v.denom();
    let neg = scaled < 0;
    let digits = scaled.abs().to_string();
    let k = k as usize;
    let padded = if digits.len() <= k {
        format!("{}{}", "0".repeat(k + 1 - digits.len()), digits)
    } else {
        digits
    };
    let (int, frac) = padded.split_at(padded.len() - k);
    format!("{}{}.{}", if neg { "-" } else { "" }, int, frac)
}

pub(super) fn write_num(f: &mut fmt::Formatter<'_>, v: &Rational) -> fmt::Result {
    if *v >= 0 && is_terminating(v) {
        f.write_str(&rational_literal(v))
    } else {
        write!(f, "({})", rational_literal(v))
    }
}

pub(super) fn write_child(f: &mut fmt::Formatter<'_>, e: &Expr, paren: bool) -> fmt::Result {
    if paren {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Num(v) => write_num(f, v),
            Expr::Var(v) => f.write_str(v),
            Expr::Neg(a) => {
                f.write_str("-")?;
                write_child(f, a, prec(a) < PREC_NEG)
            }
            Expr::Bin(op, a, b) => {
                let p = prec(self);
                match op {
                    BinOp::Pow => {
                        write_child(f, a, prec(a) <= PREC_POW)?;
                        f.write_str("^")?;
                        write_child(f, b, prec(b) < PREC_NEG)
                    }
                    _ => {
                        write_child(f, a, prec(a) < p)?;
                        f.write_str(match op {
                            BinOp::Add => " + ",
                            BinOp::Sub => " - ",
                            BinOp::Mul => "*",
                            _ => "/",
                        })?;
                        write_child(f, b, prec(b) <= p)
                    }
                }
            }
            Expr::Call(func, args) => {
                write!(f, "{}(", func.name())?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
            Expr::Big {
                op,
                var,
                lo,
                hi,
                body,
            } => {
                let name = match op {
                    BigOp::Sum => "sum",
                    BigOp::Prod => "prod",
                };
                write!(f, "{name}({var}, {lo}, {hi}, {body})")
            }
            Expr::Rec {
                x,
                t,
                start,
                end,
                init,
                step,
            } => write!(f, "rec({x}, {t}, {start}, {end}, {init}, {step})"),
        }
    }
}

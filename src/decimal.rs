//! Decimal text of exact rationals and MPFR floats: rounded approximations for display
//! ([`approx`]) and rigorous enclosures ([`decimal_enclosure`]). Every layer prints numbers
//! through here; it imports nothing from the crate outside its tests.

use rug::ops::Pow;
use rug::{Integer, Rational};

fn bits(v: &Rational) -> u64 {
    u64::from(v.numer().significant_bits()) + u64::from(v.denom().significant_bits())
}

/// Above this many bits, decimal conversions of a rational go through MPFR with directed
/// rounding instead of exact powers of ten (which cost seconds for a 100-million-bit value).
pub const DECIMAL_EXACT_BITS: u64 = 1 << 16;

/// `f` with `digits` significant digits rounded by `r`, as `d.ddde±x` (MPFR's `get_str`).
pub fn float_decimal(f: &rug::Float, digits: u32, r: rug::float::Round) -> String {
    f.to_string_radix_round(10, Some(digits.max(1) as usize), r)
        .replace("e+", "e")
}

/// `[lo, hi]` around a large rational, both ends `digits`-digit decimals, by MPFR.
fn large_enclosure(v: &Rational, digits: u32) -> (String, String) {
    use rug::float::Round;
    let prec = digits.saturating_mul(4).saturating_add(64);
    let lo = rug::Float::with_val_round(prec, v, Round::Down).0;
    let hi = rug::Float::with_val_round(prec, v, Round::Up).0;
    (
        float_decimal(&lo, digits, Round::Down),
        float_decimal(&hi, digits, Round::Up),
    )
}

/// A decimal approximation of an exact rational with `digits` significant digits (rounded
/// to nearest), for display only: `1.00695`, `3.2e-7`, `-12`.
pub fn approx(v: &Rational, digits: u32) -> String {
    if *v == 0 {
        return "0".into();
    }
    if bits(v) > DECIMAL_EXACT_BITS {
        let f = rug::Float::with_val(digits.max(1).saturating_mul(4).saturating_add(64), v);
        let s = float_decimal(&f, digits, rug::float::Round::Nearest);
        return match s.split_once('e') {
            Some((m, e)) if m.contains('.') => {
                format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.'))
            }
            _ => s,
        };
    }
    let digits = digits.max(1);
    let neg = *v < 0;
    let a = Rational::from(v.abs_ref());
    let mut e = log10_floor(&a);
    let ten = |k: i64| -> Rational {
        let p = Integer::from(10).pow(k.unsigned_abs() as u32);
        if k >= 0 {
            Rational::from(p)
        } else {
            Rational::from((1, p))
        }
    };
    // m = round(a * 10^(digits-1-e)), in [10^(digits-1), 10^digits]
    let scaled = a * ten(i64::from(digits) - 1 - e);
    let mut m = Integer::from((scaled + Rational::from((1, 2))).floor_ref());
    if m >= Integer::from(10).pow(digits) {
        m /= 10;
        e += 1;
    }
    let s = m.to_string();
    let s = s.trim_end_matches('0');
    let s = if s.is_empty() { "0" } else { s };
    let sign = if neg { "-" } else { "" };
    let mant = if s.len() > 1 {
        format!("{}.{}", &s[..1], &s[1..])
    } else {
        s.to_string()
    };
    if (-5..i64::from(digits)).contains(&e) {
        // plain notation
        let (int_digits, frac_digits): (String, String) = if e >= 0 {
            let e = e as usize;
            if s.len() > e + 1 {
                (s[..e + 1].to_string(), s[e + 1..].to_string())
            } else {
                (
                    format!("{}{}", s, "0".repeat(e + 1 - s.len())),
                    String::new(),
                )
            }
        } else {
            (
                "0".to_string(),
                format!("{}{}", "0".repeat((-e - 1) as usize), s),
            )
        };
        if frac_digits.is_empty() {
            format!("{sign}{int_digits}")
        } else {
            format!("{sign}{int_digits}.{frac_digits}")
        }
    } else {
        format!("{sign}{mant}e{e}")
    }
}

/// `floor(log10 |v|)` for a non-zero rational, computed exactly (an f64 guess from the
/// bit sizes, corrected with exact comparisons).
fn log10_floor(a: &Rational) -> i64 {
    let a = Rational::from(a.abs_ref());
    let mut e: i64 = ((f64::from(a.numer().significant_bits())
        - f64::from(a.denom().significant_bits()))
        * std::f64::consts::LOG10_2)
        .floor() as i64;
    let ten = |k: i64| -> Rational {
        let p = Integer::from(10).pow(k.unsigned_abs() as u32);
        if k >= 0 {
            Rational::from(p)
        } else {
            Rational::from((1, p))
        }
    };
    while a >= ten(e + 1) {
        e += 1;
    }
    while a < ten(e) {
        e -= 1;
    }
    e
}

/// `m * 10^k` written as a decimal: plain when short, otherwise `d.ddde±x`.
fn fmt_scaled(m: &Integer, k: i64) -> String {
    let neg = *m < 0;
    let digits = m.clone().abs().to_string();
    let sign = if neg { "-" } else { "" };
    if *m == 0 {
        return "0".into();
    }
    let n = digits.len() as i64;
    let body = if (0..=6).contains(&k) {
        format!("{digits}{}", "0".repeat(k as usize))
    } else if k < 0 && -k <= n + 6 {
        let kk = (-k) as usize;
        let padded = if digits.len() <= kk {
            format!("{}{}", "0".repeat(kk + 1 - digits.len()), digits)
        } else {
            digits.clone()
        };
        let (i, f) = padded.split_at(padded.len() - kk);
        format!("{i}.{f}")
    } else {
        let e = k + n - 1;
        if n > 1 {
            format!("{}.{}e{e}", &digits[..1], &digits[1..])
        } else {
            format!("{digits}e{e}")
        }
    };
    format!("{sign}{body}")
}

/// A decimal enclosure `[lo, hi]` of an exact rational with `digits` significant digits:
/// `lo <= v <= hi`, both ends exact decimals (equal when v is such a decimal).
pub fn decimal_enclosure(v: &Rational, digits: u32) -> (String, String) {
    if *v == 0 {
        return ("0".into(), "0".into());
    }
    if bits(v) > DECIMAL_EXACT_BITS {
        return large_enclosure(v, digits.clamp(1, 10_000));
    }
    let digits = i64::from(digits.clamp(1, 10_000));
    let e = log10_floor(v);
    let k = e - digits + 1;
    let scale = if k >= 0 {
        Rational::from((1, Integer::from(10).pow(k as u32)))
    } else {
        Rational::from(Integer::from(10).pow((-k) as u32))
    };
    let s = Rational::from(v * &scale);
    let lo = s.clone().floor().numer().clone();
    let hi = s.ceil().numer().clone();
    (fmt_scaled(&lo, k), fmt_scaled(&hi, k))
}

#[cfg(test)]
mod enclosure_tests {
    use super::*;

    #[test]
    fn enclosures_contain_the_value() {
        let q = |s: &str| s.parse::<Rational>().unwrap();
        assert_eq!(
            decimal_enclosure(&q("1/3"), 4),
            ("0.3333".into(), "0.3334".into())
        );
        assert_eq!(
            decimal_enclosure(&q("-1/3"), 2),
            ("-0.34".into(), "-0.33".into())
        );
        assert_eq!(
            decimal_enclosure(&q("5/4"), 6),
            ("1.25000".into(), "1.25000".into())
        );
        assert_eq!(
            decimal_enclosure(&Rational::from(Integer::from(10).pow(20) + 1), 3),
            ("1.00e20".into(), "1.01e20".into())
        );
        assert_eq!(decimal_enclosure(&q("0"), 3).0, "0");
        for (s, d) in [("22/7", 5), ("1/700000000", 3), ("123456789/1000", 2)] {
            let v = q(s);
            let (lo, hi) = decimal_enclosure(&v, d);
            let parse = |x: &str| {
                crate::engine::exact::eval_closed(
                    &crate::expr::parse_expr(x).unwrap(),
                    &crate::engine::exact::Budget::default(),
                )
                .unwrap()
            };
            assert!(parse(&lo) <= v && v <= parse(&hi), "{s}: [{lo}, {hi}]");
        }
    }
}

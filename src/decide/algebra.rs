//! Real algebra: a relation whose sides, after the `let`s and at an integer point, are
//! quotients of polynomials in the real parameters, on a domain whose bounds and `where`
//! constraints are such quotients too, is decided by a decision procedure for the theory of
//! real closed fields — z3's `nlsat` (cylindrical algebraic decomposition), run as a
//! separate process (`z3`, or the program named by `STABCERT_Z3`).
//!
//! Branch and bound cannot prove a relation whose sides touch along a curve (`x^2 + y^2 >=
//! 2xy` on the diagonal) or on the boundary of a non-convex constraint; the decision
//! procedure settles it outright. It runs after branch and bound left a box open, so what
//! interval arithmetic proves keeps its own evidence.
//!
//! What is sent is polynomial only: SMT-LIB's division by zero is an unspecified value, so
//! no expression with a variable divisor reaches the solver. Every relation `p rel q` becomes
//! `N*D rel 0` with `p - q = N/D` ([`ratfn_of`]); the query asks for a point of the domain
//! where the relation fails *or any divisor of any expression (sides, bounds, constraints)
//! vanishes*. `unsat` proves the relation on the whole region at this integer point, every
//! side defined there. A `sat` answer's point is only a candidate: it is re-decided by the
//! exact engine before it counts (a vanishing divisor refutes the relation as written, since a
//! side has no value there).

use crate::claims::Claim;
use crate::expr::poly::{Poly, ratfn_of};
use crate::expr::{BinOp, DomainSpec, Expr, Rel};
use rug::{Integer, Rational};
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What the decision procedure said about one relation at one integer point.
#[derive(Clone, Debug)]
pub(super) enum Answer {
    /// no point of the domain violates the relation, and every side is defined everywhere
    Holds,
    /// a point of the domain (the claim's real parameters) where the relation fails or a
    /// divisor vanishes, as the solver reported it (to be re-decided exactly)
    Fails(Vec<(String, Rational)>),
    /// no answer, and why
    Unknown(String),
}

/// Longest time one solver run may take (the claim's deadline may cut it shorter).
const MAX_RUN: Duration = Duration::from_secs(10);

/// The problem of deciding `a rel b` at the integer point `fixed` over the claim's real
/// parameters, or `None` when it is not one of real algebra (a side, a bound or a constraint
/// is not a quotient of polynomials there; a claim without real parameters; guards).
pub(super) fn problem(
    claim: &Claim,
    a: &Expr,
    rel: Rel,
    b: &Expr,
    fixed: &[(String, Rational)],
) -> Option<Problem> {
    Problem::new(claim, a, rel, b, fixed)
}

/// The query, in SMT-LIB over the variables `v0, v1, ...` (the real parameters in
/// declaration order).
pub(super) struct Problem {
    /// the real parameters, in order (`v<k>` is `reals[k]`)
    reals: Vec<String>,
    /// the domain: bounds and constraints, polynomial atoms
    domain: Vec<String>,
    /// polynomials that must not vanish on the domain (divisors)
    nonzero: Vec<String>,
    /// the relation fails
    violation: String,
}

impl Problem {
    fn new(
        claim: &Claim,
        a: &Expr,
        rel: Rel,
        b: &Expr,
        fixed: &[(String, Rational)],
    ) -> Option<Self> {
        if !claim.guards.is_empty() {
            return None;
        }
        let reals: Vec<String> = claim
            .params
            .iter()
            .filter(|p| matches!(p.domain, DomainSpec::Real { .. }))
            .map(|p| p.name.clone())
            .collect();
        if reals.is_empty() {
            return None;
        }
        let mut t = Translator {
            reals: &reals,
            fixed,
            nonzero: Vec::new(),
        };
        let mut domain = Vec::new();
        for p in &claim.params {
            let DomainSpec::Real {
                lo,
                lo_closed,
                hi,
                hi_closed,
            } = &p.domain
            else {
                continue;
            };
            let x = Expr::Var(p.name.clone());
            domain.push(t.atom(&x, if *lo_closed { Rel::Ge } else { Rel::Gt }, lo)?);
            domain.push(t.atom(&x, if *hi_closed { Rel::Le } else { Rel::Lt }, hi)?);
        }
        for (_, c) in &claim.constraints {
            let (l, r) = (claim.inline_lets(&c.lhs)?, claim.inline_lets(&c.rhs)?);
            domain.push(t.atom(&l, c.rel, &r)?);
        }
        let (a, b) = (claim.inline_lets(a)?, claim.inline_lets(b)?);
        let violation = t.violation(&a, rel, &b)?;
        let nonzero = t.nonzero;
        Some(Problem {
            reals,
            domain,
            nonzero,
            violation,
        })
    }

    /// The script: one query, a point of the domain where a divisor vanishes or the
    /// relation fails, and the point if there is one. (One non-incremental query: z3 picks
    /// nlsat for it; with `push`/`pop` it falls back to a slower incremental solver.)
    fn script(&self) -> String {
        let mut s = String::from("(set-logic QF_NRA)\n(set-option :pp.decimal false)\n");
        for k in 0..self.reals.len() {
            s += &format!("(declare-const v{k} Real)\n");
        }
        for d in &self.domain {
            s += &format!("(assert {d})\n");
        }
        let zero = self
            .nonzero
            .iter()
            .map(|p| format!("(= {p} 0)"))
            .collect::<Vec<_>>();
        s += &format!("(assert (or {} {}))\n", self.violation, zero.join(" "));
        s += "(check-sat)\n";
        let vars: Vec<String> = (0..self.reals.len()).map(|k| format!("v{k}")).collect();
        let vars = vars.join(" ");
        s += &format!("(get-value ({vars}))\n");
        // an algebraic value prints as `root-obj`; its decimal digits give a nearby point
        s += "(set-option :pp.decimal true)\n(set-option :pp.decimal_precision 40)\n";
        s += &format!("(get-value ({vars}))\n");
        s
    }

    /// Runs the solver (until `deadline`, at most [`MAX_RUN`]).
    pub(super) fn solve(&self, deadline: Instant) -> Answer {
        let left = deadline
            .saturating_duration_since(Instant::now())
            .min(MAX_RUN);
        if left < Duration::from_millis(20) {
            return Answer::Unknown("no time was left for the real-algebra solver".into());
        }
        let out = match run_solver(&self.script(), left) {
            Ok(out) => out,
            Err(why) => return Answer::Unknown(why),
        };
        let items = match parse_sexprs(&out) {
            Some(items) => items,
            None => {
                return Answer::Unknown(format!(
                    "the real-algebra solver's answer could not be read: {}",
                    first_line(&out)
                ));
            }
        };
        match items.first() {
            Some(Sexpr::Atom(w)) if w == "unsat" => Answer::Holds,
            Some(Sexpr::Atom(w)) if w == "sat" => {
                // exact values first; an algebraic one through its decimal digits
                for k in [1, 2] {
                    if let Some(point) = items.get(k).and_then(|v| self.point(v)) {
                        return Answer::Fails(point);
                    }
                }
                Answer::Unknown(
                    "the real-algebra solver found a failing point but did not report it".into(),
                )
            }
            Some(Sexpr::Atom(w)) => Answer::Unknown(format!(
                "the real-algebra solver answered `{w}` (within {:.1} s)",
                left.as_secs_f64()
            )),
            _ => Answer::Unknown(format!(
                "the real-algebra solver gave no answer: {}",
                first_line(&out)
            )),
        }
    }

    /// The point of a `get-value` answer `((v0 value) (v1 value) ...)`.
    fn point(&self, v: &Sexpr) -> Option<Vec<(String, Rational)>> {
        let Sexpr::List(pairs) = v else { return None };
        let mut point = Vec::new();
        for (k, pair) in pairs.iter().enumerate() {
            let Sexpr::List(p) = pair else { return None };
            match &p[..] {
                [Sexpr::Atom(name), value] if *name == format!("v{k}") => {
                    point.push((self.reals.get(k)?.clone(), value_of(value)?));
                }
                _ => return None,
            }
        }
        (point.len() == self.reals.len()).then_some(point)
    }
}

/// Turns relations of the claim's expressions into polynomial SMT-LIB atoms.
struct Translator<'a> {
    reals: &'a [String],
    fixed: &'a [(String, Rational)],
    /// divisors met so far, as SMT-LIB polynomials
    nonzero: Vec<String>,
}

impl Translator<'_> {
    /// `p - q = N/D`, with the divisors of `p` and `q` (and `D`) noted as non-zero.
    fn margin(&mut self, p: &Expr, q: &Expr) -> Option<(Poly, Poly)> {
        for e in [p, q] {
            let mut divisors = Vec::new();
            divisors_of(e, self.fixed, &mut divisors)?;
            for d in divisors {
                let (n, den) = ratfn_of(&d, self.fixed)?;
                for poly in [n, den] {
                    self.note_nonzero(&poly)?;
                }
            }
        }
        let (n, d) = ratfn_of(&Expr::bin(BinOp::Sub, p.clone(), q.clone()), self.fixed)?;
        self.note_nonzero(&d)?;
        Some((n, d))
    }

    fn note_nonzero(&mut self, p: &Poly) -> Option<()> {
        if let Some(c) = p.as_constant() {
            // a non-zero constant needs no query; the zero polynomial has no value anywhere
            return (c != 0).then_some(());
        }
        let s = self.smt(p)?;
        if !self.nonzero.contains(&s) {
            self.nonzero.push(s);
        }
        Some(())
    }

    /// `p rel q` as an atom `N*D rel 0` (`N = 0` for an equality).
    fn atom(&mut self, p: &Expr, rel: Rel, q: &Expr) -> Option<String> {
        let (n, d) = self.margin(p, q)?;
        if rel == Rel::Eq {
            return Some(format!("(= {} 0)", self.smt(&n)?));
        }
        let op = match rel {
            Rel::Le => "<=",
            Rel::Lt => "<",
            Rel::Ge => ">=",
            Rel::Gt => ">",
            Rel::Eq => unreachable!("handled above"),
        };
        Some(format!("({op} {} 0)", self.smt(&n.mul(&d))?))
    }

    /// The negation of `p rel q`, as an atom.
    fn violation(&mut self, p: &Expr, rel: Rel, q: &Expr) -> Option<String> {
        let (n, d) = self.margin(p, q)?;
        let nd = self.smt(&n.mul(&d))?;
        Some(match rel {
            Rel::Le => format!("(> {nd} 0)"),
            Rel::Lt => format!("(>= {nd} 0)"),
            Rel::Ge => format!("(< {nd} 0)"),
            Rel::Gt => format!("(<= {nd} 0)"),
            Rel::Eq => format!("(not (= {} 0))", self.smt(&n)?),
        })
    }

    /// A polynomial in SMT-LIB; `None` if it uses a name that is not a real parameter.
    fn smt(&self, p: &Poly) -> Option<String> {
        if p.0.is_empty() {
            return Some("0".into());
        }
        let mut terms = Vec::new();
        for (m, c) in &p.0 {
            let mut factors = vec![smt_rational(c)];
            for (x, k) in m {
                let i = self.reals.iter().position(|r| r == x)?;
                for _ in 0..*k {
                    factors.push(format!("v{i}"));
                }
            }
            terms.push(if factors.len() == 1 {
                factors.remove(0)
            } else {
                format!("(* {})", factors.join(" "))
            });
        }
        Some(if terms.len() == 1 {
            terms.remove(0)
        } else {
            format!("(+ {})", terms.join(" "))
        })
    }
}

/// The divisors of `e`: the right side of every `/`, the base of every negative integer
/// power; `None` where `e` is not built from `+ - * /` and integer powers.
fn divisors_of(e: &Expr, values: &[(String, Rational)], out: &mut Vec<Expr>) -> Option<()> {
    match e {
        Expr::Num(_) | Expr::Var(_) => Some(()),
        Expr::Neg(a) => divisors_of(a, values, out),
        Expr::Bin(op, a, b) => {
            divisors_of(a, values, out)?;
            divisors_of(b, values, out)?;
            match op {
                BinOp::Div => out.push((**b).clone()),
                BinOp::Pow => {
                    // only a constant integer exponent is algebraic (`ratfn_of` checks
                    // the rest); a negative one divides by the base
                    let (n, d) = ratfn_of(b, values)?;
                    let (n, d) = (n.as_constant()?, d.as_constant()?);
                    if d == 0 {
                        return None;
                    }
                    if n / d < 0 {
                        out.push((**a).clone());
                    }
                }
                _ => {}
            }
            Some(())
        }
        _ => None,
    }
}

fn smt_rational(q: &Rational) -> String {
    let n = q.numer().clone().abs();
    let body = if *q.denom() == 1 {
        format!("{n}")
    } else {
        format!("(/ {n} {})", q.denom())
    };
    if *q < 0 { format!("(- {body})") } else { body }
}

/// The solver's program: `STABCERT_Z3`, else `z3` on the PATH.
fn solver_program() -> String {
    std::env::var("STABCERT_Z3").unwrap_or_else(|_| "z3".into())
}

/// Runs the solver on `script` for at most `limit`, and returns what it printed.
fn run_solver(script: &str, limit: Duration) -> Result<String, String> {
    let program = solver_program();
    let secs = limit.as_secs().max(1);
    let mut child = Command::new(&program)
        .args(["-in", "-smt2", &format!("-T:{secs}")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!(
                "the real-algebra solver `{program}` is not installed (Debian's package z3; or set STABCERT_Z3)"
            ),
            _ => format!("the real-algebra solver `{program}` could not be started: {e}"),
        })?;
    let mut stdin = child.stdin.take().expect("piped");
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let written = stdin.write_all(script.as_bytes());
    drop(stdin);
    let end = Instant::now() + limit + Duration::from_millis(500);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() > end => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "the real-algebra solver did not answer within {:.1} s",
                    limit.as_secs_f64()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => return Err(format!("the real-algebra solver failed: {e}")),
        }
    }
    let out = reader.join().unwrap_or_default();
    written.map_err(|e| format!("the real-algebra solver did not read its problem: {e}"))?;
    Ok(out)
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("(nothing)")
}

/// An s-expression of the solver's output.
#[derive(Clone, Debug, PartialEq)]
enum Sexpr {
    Atom(String),
    List(Vec<Sexpr>),
}

/// The top-level s-expressions of `s`; `None` if the parentheses do not balance.
fn parse_sexprs(s: &str) -> Option<Vec<Sexpr>> {
    let mut stack: Vec<Vec<Sexpr>> = vec![Vec::new()];
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '(' => stack.push(Vec::new()),
            ')' => {
                let l = stack.pop()?;
                stack.last_mut()?.push(Sexpr::List(l));
            }
            '"' => {
                let mut w = String::new();
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                    w.push(c);
                }
                stack.last_mut()?.push(Sexpr::Atom(w));
            }
            c if c.is_whitespace() => {}
            c => {
                let mut w = String::from(c);
                while let Some(&n) = chars.peek() {
                    if n.is_whitespace() || n == '(' || n == ')' {
                        break;
                    }
                    w.push(n);
                    chars.next();
                }
                stack.last_mut()?.push(Sexpr::Atom(w));
            }
        }
    }
    (stack.len() == 1).then(|| stack.pop().expect("one"))
}

/// A value of the solver's model: a decimal (`1.5`, or `1.4142?` for the digits of an
/// algebraic number), `(- v)`, `(/ v w)`; `None` for anything else (`root-obj`).
fn value_of(v: &Sexpr) -> Option<Rational> {
    match v {
        Sexpr::Atom(w) => decimal(w.trim_end_matches('?')),
        Sexpr::List(l) => match &l[..] {
            [Sexpr::Atom(op), a] if op == "-" => Some(-value_of(a)?),
            [Sexpr::Atom(op), a, b] if op == "/" => {
                let d = value_of(b)?;
                (d != 0).then(|| value_of(a).map(|n| n / d))?
            }
            _ => None,
        },
    }
}

/// A plain decimal `123` or `123.456` as an exact rational.
fn decimal(w: &str) -> Option<Rational> {
    let (int, frac) = w.split_once('.').unwrap_or((w, ""));
    if int.is_empty() || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = Integer::from_str_radix(&format!("{int}{frac}"), 10).ok()?;
    let d = Integer::from(Integer::u_pow_u(10, u32::try_from(frac.len()).ok()?));
    Some(Rational::from((n, d)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::ClaimBuilder;

    /// The answer for a claim built from `params` (`where ...` for a constraint) and a
    /// `holds` relation, at no integer point.
    fn answer(params: &[&str], holds: &str) -> Option<Answer> {
        let mut b = ClaimBuilder::new("c");
        for &p in params {
            b = match p.strip_prefix("where ") {
                Some(c) => b.constraint(c),
                None => b.param(p),
            };
        }
        let c = b.holds(holds).build().unwrap();
        let crate::claims::Body::Holds(r) = &c.body else {
            unreachable!()
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        problem(&c, &r.lhs, r.rel, &r.rhs, &[]).map(|p| p.solve(deadline))
    }

    fn holds(params: &[&str], relation: &str) {
        let a = answer(params, relation);
        assert!(matches!(a, Some(Answer::Holds)), "{relation}: {a:?}");
    }

    #[test]
    fn touching_along_curves_and_at_constraint_boundaries_is_proven() {
        // equal along the diagonal, a line no box face follows
        holds(&["x in [-1, 1]", "y in [-1, 1]"], "x^2 + y^2 >= 2*x*y");
        // a quotient: the divisor x*y is non-zero because both ends at 0 are excluded
        holds(&["x in (0, 3]", "y in (0, 3]"], "(x^2 + y^2)/(x*y) >= 2");
        // Motzkin's polynomial: non-negative, not a sum of squares
        holds(
            &["x in [-2, 2]", "y in [-2, 2]"],
            "x^4*y^2 + x^2*y^4 - 3*x^2*y^2 + 1 >= 0",
        );
        // the simplex, by dependent bounds and by a constraint
        holds(
            &["x in [0, 1]", "y in [0, 1 - x]", "z in [0, 1 - x - y]"],
            "x*y*z <= 1/27",
        );
        holds(
            &[
                "x in [0, 1]",
                "y in [0, 1]",
                "z in [0, 1]",
                "where x + y + z <= 1",
            ],
            "x*y*z <= 1/27",
        );
        // strict where the constraint excludes the touching point
        holds(
            &["x in [0, 1]", "y in [0, 1]", "where x + y < 1"],
            "x + y < 1",
        );
        // an identity between polynomials
        holds(
            &["x in [-5, 5]", "y in [-5, 5]"],
            "(x + y)^2 = x^2 + 2*x*y + y^2",
        );
    }

    #[test]
    fn a_failing_point_is_reported_in_the_domain() {
        // fails only within about 1e-10 of sqrt(2): the point is checked here exactly
        let Some(Answer::Fails(p)) = answer(&["x in [0, 2]"], "(x^2 - 2)^2 >= 1/10^20") else {
            panic!("no failing point")
        };
        let x = &p[0].1;
        let m = Rational::from(x * x) - 2u32;
        assert!(
            Rational::from(&m * &m) < Rational::from((1, 10u64.pow(20))),
            "{x}"
        );
        assert!(*x >= 0 && *x <= 2);
        // a strict relation that fails at the closed end
        let Some(Answer::Fails(p)) = answer(&["x in [0, 1]"], "x < 1") else {
            panic!("no failing point")
        };
        assert_eq!(p, [("x".to_string(), Rational::from(1))]);
        // the point satisfies the constraint
        let Some(Answer::Fails(p)) = answer(
            &["x in [0, 1]", "y in [0, 1]", "where x + y <= 1"],
            "x*y <= 1/5",
        ) else {
            panic!("no failing point")
        };
        let (x, y) = (&p[0].1, &p[1].1);
        assert!(Rational::from(x + y) <= 1 && Rational::from(x * y) > Rational::from((1, 5)));
    }

    #[test]
    fn a_vanishing_divisor_is_found_and_a_non_algebraic_side_left_alone() {
        // the side has no value on the diagonal: a point there is reported
        let a = answer(&["x in [0, 1]", "y in [0, 1]"], "(x - y)^2/(x - y) <= 1");
        assert!(
            matches!(&a, Some(Answer::Fails(p)) if p[0].1 == p[1].1),
            "{a:?}"
        );
        // a negative power divides too: x = 0 is in the domain
        let a = answer(&["x in [0, 1]"], "x^(-2) >= 0");
        assert!(matches!(&a, Some(Answer::Fails(p)) if p[0].1 == 0), "{a:?}");
        // excluded, it is fine
        holds(&["x in (0, 1]"], "x^(-2) >= 1");
        assert!(answer(&["x in [0, 1]"], "exp(x) >= 1 + x").is_none());
        assert!(answer(&["x in [0, 1]"], "x^(1/2) >= x").is_none());
    }

    #[test]
    fn model_values_read_exactly() {
        let items = parse_sexprs("sat\n((v0 (/ 23.0 16.0))\n (v1 (- 2.0)))\n((v0 1.41?))").unwrap();
        assert_eq!(items[0], Sexpr::Atom("sat".into()));
        let Sexpr::List(pairs) = &items[1] else {
            panic!()
        };
        let Sexpr::List(p0) = &pairs[0] else { panic!() };
        assert_eq!(value_of(&p0[1]), Some(Rational::from((23, 16))));
        let Sexpr::List(p1) = &pairs[1] else { panic!() };
        assert_eq!(value_of(&p1[1]), Some(Rational::from(-2)));
        let Sexpr::List(approx) = &items[2] else {
            panic!()
        };
        let Sexpr::List(a0) = &approx[0] else {
            panic!()
        };
        assert_eq!(value_of(&a0[1]), Some(Rational::from((141, 100))));
        assert_eq!(value_of(&Sexpr::Atom("root-obj".into())), None);
        assert!(parse_sexprs("((v0 1)").is_none());
    }

    #[test]
    fn rationals_print_for_the_solver() {
        assert_eq!(smt_rational(&Rational::from((-3, 4))), "(- (/ 3 4))");
        assert_eq!(smt_rational(&Rational::from(5)), "5");
    }
}

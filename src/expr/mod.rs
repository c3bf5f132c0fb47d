//! The one expression language every engine speaks: the AST ([`Expr`]), relations and
//! chains, parameter-domain specifications, a parser with exact literals and precise error
//! positions, and a printer whose output parses back to the same tree.
//!
//! This module never evaluates anything: literals are stored as exact rationals
//! (`0.99` is 99/100, `1e-3` is 1/1000; no f64 is ever involved) and every other node is
//! left for the engines (`exact`, and later `real` and `symbolic`) to interpret.
//!
//! Grammar (precedence from loosest to tightest):
//!
//! ```text
//! relation := expr ("<=" | "<" | ">=" | ">" | "=") expr
//! expr     := term (("+" | "-") term)*
//! term     := unary (("*" | "/") unary)*
//! unary    := "-" unary | power
//! power    := primary ("^" unary)?          (right-associative; -x^2 is -(x^2))
//! primary  := number | name | name "(" args ")" | "(" expr ")"
//! ```
//!
//! Functions: `exp ln sqrt abs floor ceil` (one argument), `min max` (two or more).
//! Binders: `sum(i, lo, hi, body)`, `prod(i, lo, hi, body)` (inclusive bounds) and
//! `rec(x, t, start, end, init, step)`: x at `start` is `init`, x at t+1 is `step`, the
//! value is x at `end`.

use rug::ops::Pow;
use rug::{Integer, Rational};
use std::collections::BTreeSet;
use std::fmt;

mod assume;
mod diff;
pub mod math;
pub mod opaque;
mod parse;
pub mod poly;
mod print;

pub use assume::{Assumption, parse_assumption};
pub use diff::{derivative, nth_derivative};
pub use parse::{
    MAX_DEPTH, MAX_TREE_DEPTH, MAX_TREE_NODES, TooLarge, parse_definition, parse_expr,
    parse_expr_uses, parse_param, parse_relation, parse_relation_uses,
};
pub use print::rational_literal;

/// A binary arithmetic operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `^`
    Pow,
}

/// A built-in function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Func {
    /// `exp(x)`
    Exp,
    /// natural logarithm `ln(x)`
    Ln,
    /// `sqrt(x)`
    Sqrt,
    /// `abs(x)`
    Abs,
    /// `min(x, y, ...)`
    Min,
    /// `max(x, y, ...)`
    Max,
    /// `floor(x)`
    Floor,
    /// `ceil(x)`
    Ceil,
    /// a function of the registry of [`opaque`] functions (values at exact points only)
    Opaque(opaque::OpaqueId),
}

impl Func {
    /// The function's name as written in the language.
    pub fn name(self) -> &'static str {
        match self {
            Func::Exp => "exp",
            Func::Ln => "ln",
            Func::Sqrt => "sqrt",
            Func::Abs => "abs",
            Func::Min => "min",
            Func::Max => "max",
            Func::Floor => "floor",
            Func::Ceil => "ceil",
            Func::Opaque(id) => opaque::name(id),
        }
    }

    fn from_name(s: &str) -> Option<Func> {
        Some(match s {
            "exp" => Func::Exp,
            "ln" => Func::Ln,
            "sqrt" => Func::Sqrt,
            "abs" => Func::Abs,
            "min" => Func::Min,
            "max" => Func::Max,
            "floor" => Func::Floor,
            "ceil" => Func::Ceil,
            _ => return None,
        })
    }

    /// True for `min` and `max`, which take two or more arguments.
    pub fn is_variadic(self) -> bool {
        matches!(self, Func::Min | Func::Max)
    }
}

/// Which big operator a [`Expr::Big`] node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BigOp {
    /// `sum(i, lo, hi, body)`
    Sum,
    /// `prod(i, lo, hi, body)`
    Prod,
}

/// An expression. Literals are exact rationals.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// An exact rational literal (the parser only produces non-negative terminating decimals).
    Num(Rational),
    /// A parameter, definition, or bound variable.
    Var(String),
    /// Unary minus.
    Neg(Box<Expr>),
    /// A binary operation.
    Bin(BinOp, Box<Expr>, Box<Expr>),
    /// A built-in function applied to its arguments.
    Call(Func, Vec<Expr>),
    /// `sum`/`prod` over an integer index from `lo` to `hi` inclusive.
    Big {
        /// sum or product
        op: BigOp,
        /// the bound index
        var: String,
        /// lower bound (inclusive)
        lo: Box<Expr>,
        /// upper bound (inclusive)
        hi: Box<Expr>,
        /// the summand or factor
        body: Box<Expr>,
    },
    /// First-order recurrence `rec(x, t, start, end, init, step)`.
    Rec {
        /// the state variable, bound in `step`
        x: String,
        /// the time variable, bound in `step`
        t: String,
        /// first time
        start: Box<Expr>,
        /// last time; the value is x at `end`
        end: Box<Expr>,
        /// x at `start`
        init: Box<Expr>,
        /// x at t+1 as a function of x and t
        step: Box<Expr>,
    },
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rel {
    /// `<=`
    Le,
    /// `<`
    Lt,
    /// `>=`
    Ge,
    /// `>`
    Gt,
    /// `=`
    Eq,
}

impl Rel {
    /// The margin of `a REL b`: `g` with the relation holding exactly where `g >= 0` (or
    /// `g > 0` when the flag says strict); `None` for an equality.
    pub fn margin(self, a: &Expr, b: &Expr) -> Option<(Expr, bool)> {
        let diff = |x: &Expr, y: &Expr| Expr::bin(BinOp::Sub, x.clone(), y.clone());
        Some(match self {
            Rel::Le => (diff(b, a), false),
            Rel::Lt => (diff(b, a), true),
            Rel::Ge => (diff(a, b), false),
            Rel::Gt => (diff(a, b), true),
            Rel::Eq => return None,
        })
    }

    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            Rel::Le => "<=",
            Rel::Lt => "<",
            Rel::Ge => ">=",
            Rel::Gt => ">",
            Rel::Eq => "=",
        }
    }

    /// Parses a relation symbol (`==` is accepted for `=`).
    pub fn from_symbol(s: &str) -> Option<Rel> {
        Some(match s.trim() {
            "<=" => Rel::Le,
            "<" => Rel::Lt,
            ">=" => Rel::Ge,
            ">" => Rel::Gt,
            "=" | "==" => Rel::Eq,
            _ => return None,
        })
    }

    /// Whether `lhs REL rhs` holds given the ordering of lhs against rhs.
    pub fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            Rel::Le => ord != Greater,
            Rel::Lt => ord == Less,
            Rel::Ge => ord != Less,
            Rel::Gt => ord == Greater,
            Rel::Eq => ord == Equal,
        }
    }

    /// The same relation read from right to left (`a <= b` is `b >= a`).
    pub fn flipped(self) -> Rel {
        match self {
            Rel::Le => Rel::Ge,
            Rel::Lt => Rel::Gt,
            Rel::Ge => Rel::Le,
            Rel::Gt => Rel::Lt,
            Rel::Eq => Rel::Eq,
        }
    }

    /// The relation implied by `a self b` and `b other c` between a and c, or `None` when the
    /// two point in opposite directions (such a chain proves nothing about its ends).
    pub fn compose(self, other: Rel) -> Option<Rel> {
        use Rel::*;
        match (self, other) {
            (Eq, r) | (r, Eq) => Some(r),
            (Le, Le) => Some(Le),
            (Lt, Le) | (Le, Lt) | (Lt, Lt) => Some(Lt),
            (Ge, Ge) => Some(Ge),
            (Gt, Ge) | (Ge, Gt) | (Gt, Gt) => Some(Gt),
            _ => None,
        }
    }
}

impl fmt::Display for Rel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// `lhs rel rhs`.
#[derive(Clone, Debug, PartialEq)]
pub struct Relation {
    /// left side
    pub lhs: Expr,
    /// comparison
    pub rel: Rel,
    /// right side
    pub rhs: Expr,
}

impl fmt::Display for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.lhs, self.rel, self.rhs)
    }
}

/// A parse error with its byte offset in the source and a human message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// byte offset into the parsed string
    pub offset: usize,
    /// what went wrong, including what was expected
    pub message: String,
}

impl ParseError {
    /// 1-based (line, column) of the error in `src`, columns counted in characters.
    pub fn line_col(&self, src: &str) -> (usize, usize) {
        line_col(src, self.offset)
    }
}

/// 1-based (line, column) of byte `offset` in `src`; columns count characters.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = &src[..floor_char_boundary(src, offset)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Where every name is used in a parsed string: (name, byte offset) in source order.
/// The claim loader uses it to point at an unknown or forward-referenced name.
pub type NameUses = Vec<(String, usize)>;

/// The domain of one parameter, as written (bounds are still expressions).
#[derive(Clone, Debug, PartialEq)]
pub enum DomainSpec {
    /// `name = v`
    Fixed(Expr),
    /// `name in {v1, v2, ...}`
    Set(Vec<Expr>),
    /// `name in lo..=hi` (or `lo..hi`, stored with `inclusive = false`), optionally
    /// `sample N`: integers only.
    IntRange {
        /// lower bound (inclusive)
        lo: Expr,
        /// upper bound
        hi: Expr,
        /// whether `hi` itself belongs to the range
        inclusive: bool,
        /// `sample N`: sample N points instead of enumerating
        sample: Option<u64>,
    },
    /// `name in (lo, hi]` and the other bracket forms: a real interval.
    Real {
        /// lower end
        lo: Expr,
        /// whether `lo` belongs to the interval (`[`)
        lo_closed: bool,
        /// upper end
        hi: Expr,
        /// whether `hi` belongs to the interval (`]`)
        hi_closed: bool,
    },
}

impl DomainSpec {
    /// Whether this is an integer range read with `sample N` (only some values decided).
    pub fn is_sampled(&self) -> bool {
        matches!(
            self,
            DomainSpec::IntRange {
                sample: Some(_),
                ..
            }
        )
    }
}

/// A parsed parameter specification such as `T in t0+1..=1000`.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamSpec {
    /// the parameter's name
    pub name: String,
    /// byte offset of the name
    pub name_offset: usize,
    /// its domain
    pub domain: DomainSpec,
}

/// True for a name parameters and definitions may take: a letter or `_`, then letters,
/// digits, `_` and `'`, and not a reserved word.
pub fn is_valid_name(s: &str) -> bool {
    let mut ch = s.chars();
    ch.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && ch.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '\'')
        && !RESERVED.contains(&s)
}

/// Words that cannot be used as names of parameters or definitions.
pub const RESERVED: &[&str] = &[
    "exp", "ln", "sqrt", "abs", "min", "max", "floor", "ceil", "sum", "prod", "rec", "in", "sample",
];

// ---------------------------------------------------------------- queries

impl Expr {
    /// The names this expression uses that are not bound inside it.
    pub fn free_vars(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        self.collect_free(&mut Vec::new(), &mut out);
        out
    }

    /// Whether `name` occurs free in this expression.
    pub fn mentions(&self, name: &str) -> bool {
        self.free_vars().contains(name)
    }

    /// The children of this node, in order.
    pub fn children(&self) -> Vec<&Expr> {
        match self {
            Expr::Num(_) | Expr::Var(_) => Vec::new(),
            Expr::Neg(a) => vec![a],
            Expr::Bin(_, a, b) => vec![a, b],
            Expr::Call(_, args) => args.iter().collect(),
            Expr::Big { lo, hi, body, .. } => vec![lo, hi, body],
            Expr::Rec {
                start,
                end,
                init,
                step,
                ..
            } => vec![start, end, init, step],
        }
    }

    /// This node with `f` applied to every child evaluated in the node's own scope: all
    /// children but the body of a `sum`/`prod` and the step of a `rec` (they see bound
    /// names), which are kept as they are. Leaves are returned unchanged.
    pub fn map_outer(&self, mut f: impl FnMut(&Expr) -> Expr) -> Expr {
        match self {
            Expr::Num(_) | Expr::Var(_) => self.clone(),
            Expr::Neg(a) => Expr::Neg(Box::new(f(a))),
            Expr::Bin(op, a, b) => Expr::bin(*op, f(a), f(b)),
            Expr::Call(func, args) => Expr::Call(*func, args.iter().map(f).collect()),
            Expr::Big {
                op,
                var,
                lo,
                hi,
                body,
            } => Expr::Big {
                op: *op,
                var: var.clone(),
                lo: Box::new(f(lo)),
                hi: Box::new(f(hi)),
                body: body.clone(),
            },
            Expr::Rec {
                x,
                t,
                start,
                end,
                init,
                step,
            } => Expr::Rec {
                x: x.clone(),
                t: t.clone(),
                start: Box::new(f(start)),
                end: Box::new(f(end)),
                init: Box::new(f(init)),
                step: step.clone(),
            },
        }
    }

    /// The depth of the tree (a leaf is 1), computed without recursion.
    pub fn depth(&self) -> usize {
        let mut max = 0;
        let mut stack = vec![(self, 1usize)];
        while let Some((e, d)) = stack.pop() {
            max = max.max(d);
            stack.extend(e.children().into_iter().map(|c| (c, d + 1)));
        }
        max
    }

    /// The number of nodes of the tree, computed without recursion.
    pub fn node_count(&self) -> usize {
        let mut n = 0;
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            n += 1;
            stack.extend(e.children());
        }
        n
    }

    /// Checks the tree against [`MAX_TREE_DEPTH`] and [`MAX_TREE_NODES`].
    pub fn check_size(&self) -> Result<(), TooLarge> {
        let d = self.depth();
        if d > MAX_TREE_DEPTH {
            return Err(TooLarge(format!(
                "the expression is {d} levels deep (limit {MAX_TREE_DEPTH})"
            )));
        }
        let n = self.node_count();
        if n > MAX_TREE_NODES {
            return Err(TooLarge(format!(
                "the expression has {n} nodes (limit {MAX_TREE_NODES})"
            )));
        }
        Ok(())
    }

    /// How often `name` occurs free (an upper bound when binders shadow it).
    fn occurrences(&self, name: &str) -> usize {
        let mut n = 0;
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            if matches!(e, Expr::Var(v) if v == name) {
                n += 1;
            }
            stack.extend(e.children());
        }
        n
    }

    /// [`Expr::substitute`], refused before anything is built when the result would be
    /// deeper than [`MAX_TREE_DEPTH`] or larger than [`MAX_TREE_NODES`].
    pub fn substitute_checked(&self, name: &str, repl: &Expr) -> Result<Expr, TooLarge> {
        let k = self.occurrences(name);
        if k == 0 {
            return Ok(self.clone());
        }
        let nodes = self
            .node_count()
            .saturating_add(k.saturating_mul(repl.node_count()));
        if nodes > MAX_TREE_NODES {
            return Err(TooLarge(format!(
                "inlining `{name}` would make an expression of about {nodes} nodes (limit {MAX_TREE_NODES})"
            )));
        }
        let depth = self.depth() + repl.depth();
        if depth > MAX_TREE_DEPTH {
            return Err(TooLarge(format!(
                "inlining `{name}` would make an expression up to {depth} levels deep (limit {MAX_TREE_DEPTH})"
            )));
        }
        Ok(self.substitute(name, repl))
    }

    fn collect_free(&self, bound: &mut Vec<String>, out: &mut BTreeSet<String>) {
        match self {
            Expr::Num(_) => {}
            Expr::Var(v) => {
                if !bound.contains(v) {
                    out.insert(v.clone());
                }
            }
            Expr::Neg(a) => a.collect_free(bound, out),
            Expr::Bin(_, a, b) => {
                a.collect_free(bound, out);
                b.collect_free(bound, out);
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.collect_free(bound, out)),
            Expr::Big {
                var, lo, hi, body, ..
            } => {
                lo.collect_free(bound, out);
                hi.collect_free(bound, out);
                bound.push(var.clone());
                body.collect_free(bound, out);
                bound.pop();
            }
            Expr::Rec {
                x,
                t,
                start,
                end,
                init,
                step,
            } => {
                start.collect_free(bound, out);
                end.collect_free(bound, out);
                init.collect_free(bound, out);
                bound.push(x.clone());
                bound.push(t.clone());
                step.collect_free(bound, out);
                bound.pop();
                bound.pop();
            }
        }
    }

    /// `self` with every free occurrence of `name` replaced by `repl`, renaming bound
    /// variables that would capture a free name of `repl`.
    pub fn substitute(&self, name: &str, repl: &Expr) -> Expr {
        let rfv = repl.free_vars();
        self.subst(name, repl, &rfv)
    }

    fn subst(&self, name: &str, repl: &Expr, rfv: &BTreeSet<String>) -> Expr {
        let fresh = |v: &str, avoid: &dyn Fn(&str) -> bool| -> String {
            (1..)
                .map(|k| format!("{v}_{k}"))
                .find(|c| !avoid(c))
                .expect("unbounded")
        };
        match self {
            Expr::Num(_) => self.clone(),
            Expr::Var(v) => {
                if v == name {
                    repl.clone()
                } else {
                    self.clone()
                }
            }
            Expr::Neg(a) => Expr::Neg(Box::new(a.subst(name, repl, rfv))),
            Expr::Bin(op, a, b) => {
                Expr::bin(*op, a.subst(name, repl, rfv), b.subst(name, repl, rfv))
            }
            Expr::Call(f, args) => {
                Expr::Call(*f, args.iter().map(|a| a.subst(name, repl, rfv)).collect())
            }
            Expr::Big {
                op,
                var,
                lo,
                hi,
                body,
            } => {
                let lo = Box::new(lo.subst(name, repl, rfv));
                let hi = Box::new(hi.subst(name, repl, rfv));
                if var == name {
                    return Expr::Big {
                        op: *op,
                        var: var.clone(),
                        lo,
                        hi,
                        body: body.clone(),
                    };
                }
                let (var, body) = if rfv.contains(var) {
                    let bfv = body.free_vars();
                    let nv = fresh(var, &|c| rfv.contains(c) || bfv.contains(c) || c == name);
                    (
                        nv.clone(),
                        body.subst(var, &Expr::Var(nv), &BTreeSet::new()),
                    )
                } else {
                    (var.clone(), (**body).clone())
                };
                Expr::Big {
                    op: *op,
                    var,
                    lo,
                    hi,
                    body: Box::new(body.subst(name, repl, rfv)),
                }
            }
            Expr::Rec {
                x,
                t,
                start,
                end,
                init,
                step,
            } => {
                let start = Box::new(start.subst(name, repl, rfv));
                let end = Box::new(end.subst(name, repl, rfv));
                let init = Box::new(init.subst(name, repl, rfv));
                if x == name || t == name {
                    return Expr::Rec {
                        x: x.clone(),
                        t: t.clone(),
                        start,
                        end,
                        init,
                        step: step.clone(),
                    };
                }
                let mut step = (**step).clone();
                let mut x = x.clone();
                let mut t = t.clone();
                for v in [&mut x, &mut t] {
                    if rfv.contains(v.as_str()) {
                        let sfv = step.free_vars();
                        let nv = fresh(v, &|c| rfv.contains(c) || sfv.contains(c) || c == name);
                        step = step.subst(v, &Expr::Var(nv.clone()), &BTreeSet::new());
                        *v = nv;
                    }
                }
                let step = Box::new(step.subst(name, repl, rfv));
                Expr::Rec {
                    x,
                    t,
                    start,
                    end,
                    init,
                    step,
                }
            }
        }
    }

    /// Convenience constructor for a literal.
    pub fn num(v: impl Into<Rational>) -> Expr {
        Expr::Num(v.into())
    }

    /// Convenience constructor for a binary node.
    pub fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
        Expr::Bin(op, Box::new(a), Box::new(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Rational {
        s.parse().unwrap()
    }

    #[test]
    fn literals_are_exact() {
        assert_eq!(parse_expr("0.99").unwrap(), Expr::Num(r("99/100")));
        assert_eq!(parse_expr("1e-3").unwrap(), Expr::Num(r("1/1000")));
        assert_eq!(parse_expr("2.5E2").unwrap(), Expr::Num(r("250")));
        assert_eq!(parse_expr(".5").unwrap(), Expr::Num(r("1/2")));
        assert_eq!(
            parse_expr("0.1").unwrap(),
            Expr::Num(r("1/10")),
            "0.1 must not go through f64"
        );
    }

    #[test]
    fn precedence_and_associativity() {
        let e = parse_expr("-x^2").unwrap();
        assert!(matches!(e, Expr::Neg(_)));
        let e = parse_expr("2^3^2").unwrap();
        let Expr::Bin(BinOp::Pow, _, rhs) = e else {
            panic!()
        };
        assert!(matches!(*rhs, Expr::Bin(BinOp::Pow, ..)));
        let e = parse_expr("a - b - c").unwrap();
        let Expr::Bin(BinOp::Sub, lhs, _) = e else {
            panic!()
        };
        assert!(matches!(*lhs, Expr::Bin(BinOp::Sub, ..)));
        assert_eq!(parse_expr("2^-1").unwrap().to_string(), "2^-1");
    }

    #[test]
    fn errors_name_position_and_expectation() {
        let e = parse_expr("1 + * 2").unwrap_err();
        assert_eq!(e.offset, 4);
        assert!(e.message.contains("expected a number"), "{}", e.message);
        let e = parse_expr("foo(1)").unwrap_err();
        assert!(e.message.contains("unknown function `foo`"));
        let e = parse_expr("(1 + 2").unwrap_err();
        assert!(e.message.contains("expected `)`"), "{}", e.message);
        assert_eq!(e.line_col("(1 + 2"), (1, 7));
        let e = parse_expr("min(1)").unwrap_err();
        assert!(e.message.contains("at least two"));
        let e = parse_expr("2x").unwrap_err();
        assert!(e.message.contains("after a number"));
        assert!(parse_expr("1 $ 2").unwrap_err().message.contains("`$`"));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let src = format!("{}1{}", "(".repeat(5000), ")".repeat(5000));
        assert!(parse_expr(&src).unwrap_err().message.contains("nested"));
        let src = format!("{}1", "-".repeat(5000));
        assert!(parse_expr(&src).is_err());
        let src = format!("2{}", "^2".repeat(5000));
        assert!(parse_expr(&src).is_err());
    }

    #[test]
    fn binders_and_free_vars() {
        let e = parse_expr("rec(x, t, t0, T, 0, (1 + a/(0.99*t))*x + y/t)").unwrap();
        let fv: Vec<_> = e.free_vars().into_iter().collect();
        assert_eq!(fv, vec!["T", "a", "t0", "y"]);
        let e = parse_expr("sum(i, 1, n, i^2) + i").unwrap();
        assert!(e.mentions("i") && e.mentions("n"));
        assert!(parse_expr("rec(x, x, 0, 1, 0, x)").is_err());
        // substitution avoids capture
        let e = parse_expr("sum(i, 1, n, i*y)").unwrap();
        let s = e.substitute("y", &parse_expr("i + 1").unwrap());
        assert_eq!(s.to_string(), "sum(i_1, 1, n, i_1*(i + 1))");
        let s = e.substitute("n", &parse_expr("m").unwrap());
        assert_eq!(s.to_string(), "sum(i, 1, m, i*y)");
        let (_, uses) = parse_expr_uses("sum(i, 1, n, i*x) + i").unwrap();
        let names: Vec<_> = uses.iter().map(|(n, o)| (n.as_str(), *o)).collect();
        assert_eq!(names, vec![("n", 10), ("x", 15), ("i", 20)]);
    }

    #[test]
    fn params() {
        let (p, _) = parse_param("a in (0, 1/10]").unwrap();
        assert!(matches!(
            p.domain,
            DomainSpec::Real {
                lo_closed: false,
                hi_closed: true,
                ..
            }
        ));
        let (p, uses) = parse_param("T in t0+1..=1000").unwrap();
        assert!(matches!(
            p.domain,
            DomainSpec::IntRange {
                inclusive: true,
                ..
            }
        ));
        assert_eq!(uses, vec![("t0".to_string(), 5)]);
        let (p, _) = parse_param("T in (n+1)..=100").unwrap();
        assert!(matches!(p.domain, DomainSpec::IntRange { .. }));
        let (p, _) = parse_param("n in 1..=10^12 sample 50").unwrap();
        assert!(matches!(
            p.domain,
            DomainSpec::IntRange {
                sample: Some(50),
                ..
            }
        ));
        let (p, _) = parse_param("c in {2, 4, 8}").unwrap();
        assert!(matches!(p.domain, DomainSpec::Set(ref v) if v.len() == 3));
        let (p, _) = parse_param("y = 1").unwrap();
        assert!(matches!(p.domain, DomainSpec::Fixed(_)));
        assert!(parse_param("x in 1").is_err());
        assert!(parse_param("x in [1, 2").is_err());
        assert!(parse_param("exp = 1").is_err());
    }

    #[test]
    fn printer_examples() {
        for s in [
            "a - (b - c)",
            "(a + b)*c",
            "-(a*b)",
            "(-2)^2",
            "a^b^c",
            "(a^b)^c",
            "a/(b*c)",
            "sum(i, 1, n, 1/i) + rec(x, t, 0, T, 1, x*(1 + 1/t))",
            "max(a, b, 0.001)",
            "x^-1",
        ] {
            let e = parse_expr(s).unwrap();
            let printed = e.to_string();
            assert_eq!(parse_expr(&printed).unwrap(), e, "{s} printed as {printed}");
        }
        assert_eq!(rational_literal(&r("99/100")), "0.99");
        assert_eq!(rational_literal(&r("1/1000")), "0.001");
        assert_eq!(rational_literal(&r("-5/4")), "-1.25");
        assert_eq!(rational_literal(&r("1/3")), "1/3");
    }
}

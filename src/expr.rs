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

/// Words that cannot be used as names of parameters or definitions.
pub const RESERVED: &[&str] = &[
    "exp", "ln", "sqrt", "abs", "min", "max", "floor", "ceil", "sum", "prod", "rec", "in", "sample",
];

// ---------------------------------------------------------------- lexer

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(Rational),
    Ident(String),
    Op(&'static str),
    End,
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    start: usize,
}

/// Largest decimal exponent a literal may carry (`1e100000`): beyond this the literal itself
/// would be a huge integer, which is a budget matter, not a parse.
const MAX_LITERAL_EXP: i64 = 100_000;

fn lex(src: &str) -> Result<Vec<Token>, ParseError> {
    let b = src.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if c.is_ascii_digit() || (c == b'.' && i + 1 < b.len() && b[i + 1].is_ascii_digit()) {
            let mut digits = String::new();
            while i < b.len() && b[i].is_ascii_digit() {
                digits.push(b[i] as char);
                i += 1;
            }
            let mut frac_len: i64 = 0;
            if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    digits.push(b[i] as char);
                    frac_len += 1;
                    i += 1;
                }
            }
            let mut exp: i64 = 0;
            if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
                let mut j = i + 1;
                let neg = j < b.len() && b[j] == b'-';
                if j < b.len() && (b[j] == b'-' || b[j] == b'+') {
                    j += 1;
                }
                if j < b.len() && b[j].is_ascii_digit() {
                    let es = j;
                    while j < b.len() && b[j].is_ascii_digit() {
                        j += 1;
                    }
                    let e: i64 = src[es..j].parse().unwrap_or(i64::MAX);
                    if e > MAX_LITERAL_EXP {
                        return Err(ParseError {
                            offset: start,
                            message: format!(
                                "literal exponent too large (at most {MAX_LITERAL_EXP})"
                            ),
                        });
                    }
                    exp = if neg { -e } else { e };
                    i = j;
                }
            }
            if i < b.len() && (b[i].is_ascii_alphabetic() || b[i] == b'_') {
                return Err(ParseError {
                    offset: i,
                    message: "expected an operator after a number, found a letter".into(),
                });
            }
            let mant: Integer = digits.parse().map_err(|_| ParseError {
                offset: start,
                message: "malformed number".into(),
            })?;
            let e = exp - frac_len;
            let ten = Integer::from(10);
            let val = if e >= 0 {
                Rational::from(mant * ten.pow(e as u32))
            } else {
                Rational::from((mant, ten.pow((-e) as u32)))
            };
            out.push(Token {
                tok: Tok::Num(val),
                start,
            });
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'\'') {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Ident(src[start..i].to_string()),
                start,
            });
            continue;
        }
        let rest = &src[i..];
        let ops: [&'static str; 21] = [
            "..=", "..", "<=", ">=", "==", "<", ">", "=", "+", "-", "*", "/", "^", "(", ")", ",",
            "{", "}", "[", "]", "·",
        ];
        match ops.iter().find(|o| rest.starts_with(**o)) {
            Some(&"·") => {
                out.push(Token {
                    tok: Tok::Op("*"),
                    start,
                });
                i += "·".len();
            }
            Some(o) => {
                out.push(Token {
                    tok: Tok::Op(o),
                    start,
                });
                i += o.len();
            }
            None => {
                let ch = rest.chars().next().unwrap_or('?');
                return Err(ParseError {
                    offset: start,
                    message: format!("unexpected character `{ch}`"),
                });
            }
        }
    }
    out.push(Token {
        tok: Tok::End,
        start: src.len(),
    });
    Ok(out)
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Num(_) => "a number".into(),
        Tok::Ident(s) => format!("`{s}`"),
        Tok::Op(o) => format!("`{o}`"),
        Tok::End => "the end of the input".into(),
    }
}

// ---------------------------------------------------------------- parser

/// Maximum nesting depth of an expression: deeper input is rejected rather than risking a
/// stack overflow.
pub const MAX_DEPTH: usize = 200;

/// Maximum depth of an expression tree, counting every node (a flat chain `1 + 1 + ... + 1`
/// of k operators is k levels deep). Every engine walks trees recursively, so deeper trees
/// are refused when parsed and when definitions are inlined, rather than risking a stack
/// overflow.
pub const MAX_TREE_DEPTH: usize = 4_000;

/// Maximum number of nodes of an expression built by inlining definitions: a chain of
/// definitions that each use the previous one twice doubles the tree at every step.
pub const MAX_TREE_NODES: usize = 1_000_000;

/// An expression that would be too large to build or walk.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TooLarge(pub String);

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    uses: NameUses,
    depth: usize,
    /// names bound by enclosing binders (not recorded as uses)
    bound: Vec<String>,
}

impl Parser {
    fn new(src: &str) -> Result<Self, ParseError> {
        Ok(Parser {
            toks: lex(src)?,
            pos: 0,
            uses: Vec::new(),
            depth: 0,
            bound: Vec::new(),
        })
    }

    fn peek(&self) -> &Tok {
        &self.toks[self.pos].tok
    }

    fn here(&self) -> usize {
        self.toks[self.pos].start
    }

    fn bump(&mut self) -> Token {
        let t = self.toks[self.pos].clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn is_op(&self, o: &str) -> bool {
        matches!(self.peek(), Tok::Op(p) if *p == o)
    }

    fn err<T>(&self, expected: &str) -> Result<T, ParseError> {
        Err(ParseError {
            offset: self.here(),
            message: format!("expected {expected}, found {}", describe(self.peek())),
        })
    }

    fn expect_op(&mut self, o: &str) -> Result<(), ParseError> {
        if self.is_op(o) {
            self.bump();
            Ok(())
        } else {
            self.err(&format!("`{o}`"))
        }
    }

    fn expect_end(&mut self, what: &str) -> Result<(), ParseError> {
        if *self.peek() == Tok::End {
            Ok(())
        } else {
            self.err(what)
        }
    }

    fn ident(&mut self, what: &str) -> Result<(String, usize), ParseError> {
        match self.peek().clone() {
            Tok::Ident(s) if !RESERVED.contains(&s.as_str()) => {
                let at = self.here();
                self.bump();
                Ok((s, at))
            }
            _ => self.err(what),
        }
    }

    fn expr(&mut self) -> Result<Expr, ParseError> {
        self.expr_d().map(|(e, _)| e)
    }

    fn nested(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ParseError {
                offset: self.here(),
                message: format!("expression nested deeper than {MAX_DEPTH} levels"),
            });
        }
        Ok(())
    }

    /// `depth` for a node whose children have depth `child`: an error once the tree is
    /// deeper than [`MAX_TREE_DEPTH`] (chains of `+` and `*` count one level per operator).
    fn tree_depth(&self, at: usize, child: usize) -> Result<usize, ParseError> {
        let d = child + 1;
        if d > MAX_TREE_DEPTH {
            return Err(ParseError {
                offset: at,
                message: format!(
                    "expression more than {MAX_TREE_DEPTH} levels deep (a chain of operators counts one level per operator): write long sums with sum(...) or split the expression with `let`"
                ),
            });
        }
        Ok(d)
    }

    /// An expression and the depth of its tree.
    fn expr_d(&mut self) -> Result<(Expr, usize), ParseError> {
        self.nested()?;
        let (mut lhs, mut d) = self.term()?;
        loop {
            let op = if self.is_op("+") {
                BinOp::Add
            } else if self.is_op("-") {
                BinOp::Sub
            } else {
                break;
            };
            let at = self.here();
            self.bump();
            let (rhs, dr) = self.term()?;
            d = self.tree_depth(at, d.max(dr))?;
            lhs = Expr::Bin(op, Box::new(lhs), Box::new(rhs));
        }
        self.depth -= 1;
        Ok((lhs, d))
    }

    fn term(&mut self) -> Result<(Expr, usize), ParseError> {
        let (mut lhs, mut d) = self.unary()?;
        loop {
            let op = if self.is_op("*") {
                BinOp::Mul
            } else if self.is_op("/") {
                BinOp::Div
            } else {
                break;
            };
            let at = self.here();
            self.bump();
            let (rhs, dr) = self.unary()?;
            d = self.tree_depth(at, d.max(dr))?;
            lhs = Expr::Bin(op, Box::new(lhs), Box::new(rhs));
        }
        Ok((lhs, d))
    }

    fn unary(&mut self) -> Result<(Expr, usize), ParseError> {
        if self.is_op("-") {
            let at = self.here();
            self.bump();
            self.nested()?;
            let (e, d) = self.unary()?;
            self.depth -= 1;
            let d = self.tree_depth(at, d)?;
            return Ok((Expr::Neg(Box::new(e)), d));
        }
        self.power()
    }

    fn power(&mut self) -> Result<(Expr, usize), ParseError> {
        let (base, db) = self.primary()?;
        if self.is_op("^") {
            let at = self.here();
            self.bump();
            self.nested()?;
            let (exp, de) = self.unary()?;
            self.depth -= 1;
            let d = self.tree_depth(at, db.max(de))?;
            return Ok((Expr::Bin(BinOp::Pow, Box::new(base), Box::new(exp)), d));
        }
        Ok((base, db))
    }

    fn primary(&mut self) -> Result<(Expr, usize), ParseError> {
        let at = self.here();
        match self.peek().clone() {
            Tok::Num(v) => {
                self.bump();
                Ok((Expr::Num(v), 1))
            }
            Tok::Op("(") => {
                self.bump();
                let e = self.expr_d()?;
                self.expect_op(")")?;
                Ok(e)
            }
            Tok::Ident(name) => {
                self.bump();
                if self.is_op("(") {
                    self.bump();
                    let e = self.call(&name, at)?;
                    let d = e.depth();
                    let d = self.tree_depth(at, d.saturating_sub(1))?;
                    return Ok((e, d));
                }
                if RESERVED.contains(&name.as_str()) {
                    return Err(ParseError {
                        offset: at,
                        message: format!("`{name}` is a reserved word; expected `{name}(`"),
                    });
                }
                if !self.bound.contains(&name) {
                    self.uses.push((name.clone(), at));
                }
                Ok((Expr::Var(name), 1))
            }
            _ => self.err("a number, a name, or `(`"),
        }
    }

    fn call(&mut self, name: &str, at: usize) -> Result<Expr, ParseError> {
        match name {
            "sum" | "prod" => {
                let (var, _) = self.ident("an index variable name")?;
                self.expect_op(",")?;
                let lo = self.expr()?;
                self.expect_op(",")?;
                let hi = self.expr()?;
                self.expect_op(",")?;
                self.bound.push(var.clone());
                let body = self.expr();
                self.bound.pop();
                let body = body?;
                self.expect_op(")")?;
                let op = if name == "sum" {
                    BigOp::Sum
                } else {
                    BigOp::Prod
                };
                Ok(Expr::Big {
                    op,
                    var,
                    lo: Box::new(lo),
                    hi: Box::new(hi),
                    body: Box::new(body),
                })
            }
            "rec" => {
                let (x, _) = self.ident("the state variable name of rec")?;
                self.expect_op(",")?;
                let (t, t_at) = self.ident("the time variable name of rec")?;
                if t == x {
                    return Err(ParseError {
                        offset: t_at,
                        message: "rec needs two different names for state and time".into(),
                    });
                }
                self.expect_op(",")?;
                let start = self.expr()?;
                self.expect_op(",")?;
                let end = self.expr()?;
                self.expect_op(",")?;
                let init = self.expr()?;
                self.expect_op(",")?;
                self.bound.push(x.clone());
                self.bound.push(t.clone());
                let step = self.expr();
                self.bound.truncate(self.bound.len() - 2);
                let step = step?;
                self.expect_op(")")?;
                Ok(Expr::Rec {
                    x,
                    t,
                    start: Box::new(start),
                    end: Box::new(end),
                    init: Box::new(init),
                    step: Box::new(step),
                })
            }
            _ => {
                let Some(f) = Func::from_name(name) else {
                    return Err(ParseError {
                        offset: at,
                        message: format!(
                            "unknown function `{name}` (known: exp ln sqrt abs min max floor ceil sum prod rec)"
                        ),
                    });
                };
                let mut args = vec![self.expr()?];
                while self.is_op(",") {
                    self.bump();
                    args.push(self.expr()?);
                }
                self.expect_op(")")?;
                let ok = if f.is_variadic() {
                    args.len() >= 2
                } else {
                    args.len() == 1
                };
                if !ok {
                    let want = if f.is_variadic() {
                        "at least two arguments"
                    } else {
                        "exactly one argument"
                    };
                    return Err(ParseError {
                        offset: at,
                        message: format!("`{name}` takes {want}, got {}", args.len()),
                    });
                }
                Ok(Expr::Call(f, args))
            }
        }
    }

    fn rel(&mut self) -> Option<Rel> {
        let r = match self.peek() {
            Tok::Op(o) => Rel::from_symbol(o),
            _ => None,
        };
        if r.is_some() {
            self.bump();
        }
        r
    }
}

/// Parses an expression.
pub fn parse_expr(src: &str) -> Result<Expr, ParseError> {
    parse_expr_uses(src).map(|(e, _)| e)
}

/// Parses an expression and reports where every free-standing name occurs.
pub fn parse_expr_uses(src: &str) -> Result<(Expr, NameUses), ParseError> {
    let mut p = Parser::new(src)?;
    let e = p.expr()?;
    p.expect_end("an operator or the end of the expression")?;
    Ok((e, p.uses))
}

/// Parses `lhs REL rhs`.
pub fn parse_relation(src: &str) -> Result<Relation, ParseError> {
    parse_relation_uses(src).map(|(r, _)| r)
}

/// Parses `lhs REL rhs` and reports where every name occurs.
pub fn parse_relation_uses(src: &str) -> Result<(Relation, NameUses), ParseError> {
    let mut p = Parser::new(src)?;
    let lhs = p.expr()?;
    let Some(rel) = p.rel() else {
        return p.err("a relation (`<=`, `<`, `>=`, `>` or `=`)");
    };
    let rhs = p.expr()?;
    p.expect_end("an operator or the end of the relation")?;
    Ok((Relation { lhs, rel, rhs }, p.uses))
}

/// Parses a definition `name = expr` (a claim file's `let` entries).
pub fn parse_definition(src: &str) -> Result<(String, usize, Expr, NameUses), ParseError> {
    let mut p = Parser::new(src)?;
    let (name, at) = p.ident("a definition name")?;
    if !(p.is_op("=") || p.is_op("==")) {
        return p.err("`=`");
    }
    p.bump();
    let e = p.expr()?;
    p.expect_end("an operator or the end of the definition")?;
    Ok((name, at, e, p.uses))
}

/// Parses a parameter specification: `name = v`, `name in {v1, v2}`, `name in lo..=hi`,
/// `name in lo..hi`, either with `sample N`, or a real interval `name in (lo, hi]` (any of
/// the four bracket forms).
pub fn parse_param(src: &str) -> Result<(ParamSpec, NameUses), ParseError> {
    let mut p = Parser::new(src)?;
    let (name, name_offset) = p.ident("a parameter name")?;
    let domain = if p.is_op("=") || p.is_op("==") {
        p.bump();
        DomainSpec::Fixed(p.expr()?)
    } else if matches!(p.peek(), Tok::Ident(s) if s == "in") {
        p.bump();
        if p.is_op("{") {
            p.bump();
            let mut vals = vec![p.expr()?];
            while p.is_op(",") {
                p.bump();
                vals.push(p.expr()?);
            }
            p.expect_op("}")?;
            DomainSpec::Set(vals)
        } else if p.is_op("[") || p.is_op("(") {
            let save = (p.pos, p.uses.len(), p.depth);
            let open_closed = p.is_op("[");
            p.bump();
            let lo = p.expr()?;
            if p.is_op(",") {
                p.bump();
                let hi = p.expr()?;
                let hi_closed = if p.is_op("]") {
                    true
                } else if p.is_op(")") {
                    false
                } else {
                    return p.err("`]` or `)` closing the interval");
                };
                p.bump();
                DomainSpec::Real {
                    lo,
                    lo_closed: open_closed,
                    hi,
                    hi_closed,
                }
            } else if !open_closed {
                // `(n+1)..=100`: a parenthesised bound of an integer range.
                p.pos = save.0;
                p.uses.truncate(save.1);
                p.depth = save.2;
                range(&mut p)?
            } else {
                return p.err("`,` separating the ends of the interval");
            }
        } else {
            range(&mut p)?
        }
    } else {
        return p.err("`=` or `in`");
    };
    p.expect_end("the end of the parameter specification")?;
    Ok((
        ParamSpec {
            name,
            name_offset,
            domain,
        },
        p.uses,
    ))
}

fn range(p: &mut Parser) -> Result<DomainSpec, ParseError> {
    let lo = p.expr()?;
    let inclusive = if p.is_op("..=") {
        true
    } else if p.is_op("..") {
        false
    } else {
        return p.err("`..=` or `..` (an integer range), `{` (a set) or `(`/`[` (an interval)");
    };
    p.bump();
    let hi = p.expr()?;
    let mut sample = None;
    if matches!(p.peek(), Tok::Ident(s) if s == "sample") {
        p.bump();
        let at = p.here();
        match p.peek().clone() {
            Tok::Num(v) if v.is_integer() && v > 0 => {
                p.bump();
                let n = v
                    .numer()
                    .to_u64()
                    .filter(|n| *n <= 1_000_000)
                    .ok_or(ParseError {
                        offset: at,
                        message: "sample count must be at most 1000000".into(),
                    })?;
                sample = Some(n);
            }
            _ => return p.err("a positive integer sample count"),
        }
    }
    Ok(DomainSpec::IntRange {
        lo,
        hi,
        inclusive,
        sample,
    })
}

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

// ---------------------------------------------------------------- printer

const PREC_ADD: u8 = 1;
const PREC_MUL: u8 = 2;
const PREC_NEG: u8 = 3;
const PREC_POW: u8 = 4;
const PREC_ATOM: u8 = 5;

fn prec(e: &Expr) -> u8 {
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

fn is_terminating(v: &Rational) -> bool {
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

fn write_num(f: &mut fmt::Formatter<'_>, v: &Rational) -> fmt::Result {
    if *v >= 0 && is_terminating(v) {
        f.write_str(&rational_literal(v))
    } else {
        write!(f, "({})", rational_literal(v))
    }
}

fn write_child(f: &mut fmt::Formatter<'_>, e: &Expr, paren: bool) -> fmt::Result {
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

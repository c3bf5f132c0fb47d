//! The lexer and the recursive-descent parser of the expression language: expressions,
//! relations, definitions (`name = expr`) and parameter domains, with byte offsets for
//! every error and every name used, and limits on nesting and size.

use super::*;

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    Num(Rational),
    Ident(String),
    Op(&'static str),
    End,
}

#[derive(Clone, Debug)]
pub(super) struct Token {
    tok: Tok,
    start: usize,
}

/// Largest decimal exponent a literal may carry (`1e100000`): beyond this the literal itself
/// would be a huge integer, which is a budget matter, not a parse.
pub(super) const MAX_LITERAL_EXP: i64 = 100_000;

pub(super) fn lex(src: &str) -> Result<Vec<Token>, ParseError> {
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

pub(super) fn describe(t: &Tok) -> String {
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

pub(super) struct Parser {
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

pub(super) fn range(p: &mut Parser) -> Result<DomainSpec, ParseError> {
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

//! Expressions as mathematics for readers: MathML (for HTML: renders in every browser
//! without scripts) and LaTeX (for Markdown), both from one layout tree built from the
//! expression tree. Fractions are drawn as fractions, powers raised, `sum`/`prod` as ∑/∏
//! with their limits, `rec` as the recurrence it defines; names ending in digits or
//! holding an underscore get subscripts and Greek names their letters. Display only:
//! nothing here is parsed back.

use super::print::{PREC_ADD, PREC_ATOM, PREC_NEG, prec};
use super::*;
use std::fmt::Write;

/// The layout tree both writers print.
#[derive(Clone, Debug)]
enum Node {
    Row(Vec<Node>),
    /// an identifier (one letter italic, longer upright in MathML)
    Ident(String),
    Num(String),
    Op(String),
    Frac(Box<Node>, Box<Node>),
    Sup(Box<Node>, Box<Node>),
    Sub(Box<Node>, Box<Node>),
    Sqrt(Box<Node>),
    Fence(&'static str, &'static str, Box<Node>),
    /// a big operator with its lower and upper limits
    Big(&'static str, Box<Node>, Box<Node>),
    Text(String),
}

const GREEK: [(&str, &str, &str); 30] = [
    ("alpha", "α", "\\alpha"),
    ("beta", "β", "\\beta"),
    ("gamma", "γ", "\\gamma"),
    ("delta", "δ", "\\delta"),
    ("epsilon", "ε", "\\epsilon"),
    ("eps", "ε", "\\epsilon"),
    ("zeta", "ζ", "\\zeta"),
    ("eta", "η", "\\eta"),
    ("theta", "θ", "\\theta"),
    ("kappa", "κ", "\\kappa"),
    ("lambda", "λ", "\\lambda"),
    ("mu", "μ", "\\mu"),
    ("nu", "ν", "\\nu"),
    ("xi", "ξ", "\\xi"),
    ("pi", "π", "\\pi"),
    ("rho", "ρ", "\\rho"),
    ("sigma", "σ", "\\sigma"),
    ("tau", "τ", "\\tau"),
    ("phi", "φ", "\\phi"),
    ("chi", "χ", "\\chi"),
    ("psi", "ψ", "\\psi"),
    ("omega", "ω", "\\omega"),
    ("Gamma", "Γ", "\\Gamma"),
    ("Delta", "Δ", "\\Delta"),
    ("Theta", "Θ", "\\Theta"),
    ("Lambda", "Λ", "\\Lambda"),
    ("Xi", "Ξ", "\\Xi"),
    ("Sigma", "Σ", "\\Sigma"),
    ("Phi", "Φ", "\\Phi"),
    ("Omega", "Ω", "\\Omega"),
];

fn row(v: Vec<Node>) -> Node {
    Node::Row(v)
}

fn op(s: &str) -> Node {
    Node::Op(s.into())
}

fn paren(n: Node) -> Node {
    Node::Fence("(", ")", Box::new(n))
}

/// A name as a reader writes it: `alpha` → α, `t0` → t with subscript 0, `alpha_t` → α
/// with subscript t; names with two or more underscores (`p_zero_t0`) stay as written.
fn name(s: &str) -> Node {
    if s.matches('_').count() == 1
        && let Some((base, sub)) = s.split_once('_')
        && !base.is_empty()
        && !sub.is_empty()
    {
        return Node::Sub(Box::new(name(base)), Box::new(name(sub)));
    }
    if s.contains('_') {
        return Node::Ident(s.into());
    }
    let digits = s.chars().rev().take_while(char::is_ascii_digit).count();
    if digits > 0 && digits < s.len() {
        let (base, sub) = s.split_at(s.len() - digits);
        return Node::Sub(Box::new(name(base)), Box::new(Node::Num(sub.into())));
    }
    Node::Ident(s.into())
}

fn number(v: &Rational) -> Node {
    let neg = *v < 0;
    let a = Rational::from(v.abs_ref());
    let lit = rational_literal(&a);
    let n = match lit.split_once('/') {
        Some((p, q)) => Node::Frac(Box::new(Node::Num(p.into())), Box::new(Node::Num(q.into()))),
        None => Node::Num(lit),
    };
    if neg { row(vec![op("−"), n]) } else { n }
}

/// True when `e` prints as a bare number (so a product needs a visible dot before it).
fn starts_with_number(e: &Expr) -> bool {
    match e {
        Expr::Num(_) => true,
        Expr::Bin(BinOp::Pow | BinOp::Mul, a, _) => starts_with_number(a),
        _ => false,
    }
}

struct Layout<'a> {
    /// names drawn as something else (a recurrence's state as x_t)
    subst: Vec<(&'a str, Node)>,
}

impl<'a> Layout<'a> {
    fn var(&self, v: &str) -> Node {
        self.subst
            .iter()
            .rev()
            .find(|(n, _)| *n == v)
            .map_or_else(|| name(v), |(_, node)| node.clone())
    }

    fn wrap_if(&mut self, e: &'a Expr, cond: bool) -> Node {
        let n = self.node(e);
        if cond { paren(n) } else { n }
    }

    fn node(&mut self, e: &'a Expr) -> Node {
        match e {
            Expr::Num(v) => number(v),
            Expr::Var(v) => self.var(v),
            Expr::Neg(a) => {
                let inner = self.wrap_if(a, prec(a) <= PREC_NEG && !matches!(**a, Expr::Num(_)));
                row(vec![op("−"), inner])
            }
            Expr::Bin(o, a, b) => match o {
                BinOp::Add | BinOp::Sub => {
                    let l = self.node(a);
                    let r = self.wrap_if(
                        b,
                        matches!(**b, Expr::Neg(_)) || (*o == BinOp::Sub && prec(b) <= PREC_ADD),
                    );
                    row(vec![l, op(if *o == BinOp::Add { "+" } else { "−" }), r])
                }
                BinOp::Mul => {
                    let l = self.wrap_if(a, prec(a) <= PREC_ADD);
                    let r = self.wrap_if(b, prec(b) <= PREC_NEG);
                    let dot = if starts_with_number(b) || !matches!(**a, Expr::Num(_)) {
                        "·"
                    } else {
                        "\u{2062}"
                    };
                    row(vec![l, op(dot), r])
                }
                BinOp::Div => Node::Frac(Box::new(self.node(a)), Box::new(self.node(b))),
                BinOp::Pow => {
                    let plain_base = match &**a {
                        Expr::Var(_) => true,
                        Expr::Num(v) => v.is_integer() && *v >= 0,
                        Expr::Call(f, _) => !matches!(f, Func::Exp),
                        _ => prec(a) == PREC_ATOM && !matches!(**a, Expr::Big { .. }),
                    };
                    let base = self.wrap_if(a, !plain_base);
                    Node::Sup(Box::new(base), Box::new(self.node(b)))
                }
            },
            Expr::Call(f, args) => {
                let mut a: Vec<Node> = args.iter().map(|x| self.node(x)).collect();
                let first = || a.first().cloned().unwrap_or(Node::Row(Vec::new()));
                match f {
                    Func::Exp => Node::Sup(Box::new(Node::Ident("e".into())), Box::new(first())),
                    Func::Ln => row(vec![Node::Ident("ln".into()), paren(first())]),
                    Func::Sqrt => Node::Sqrt(Box::new(first())),
                    Func::Abs => Node::Fence("|", "|", Box::new(first())),
                    Func::Floor => Node::Fence("⌊", "⌋", Box::new(first())),
                    Func::Ceil => Node::Fence("⌈", "⌉", Box::new(first())),
                    Func::Min | Func::Max | Func::Opaque(_) => {
                        let mut inner = Vec::new();
                        for (k, n) in a.drain(..).enumerate() {
                            if k > 0 {
                                inner.push(op(","));
                            }
                            inner.push(n);
                        }
                        row(vec![Node::Ident(f.name().into()), paren(row(inner))])
                    }
                }
            }
            Expr::Big {
                op: bop,
                var,
                lo,
                hi,
                body,
            } => {
                let under = row(vec![name(var), op("="), self.node(lo)]);
                let over = self.node(hi);
                let body = self.wrap_if(body, prec(body) <= PREC_ADD);
                row(vec![
                    Node::Big(
                        if *bop == BigOp::Sum { "∑" } else { "∏" },
                        Box::new(under),
                        Box::new(over),
                    ),
                    body,
                ])
            }
            Expr::Rec {
                x,
                t,
                start,
                end,
                init,
                step,
            } => {
                let sub = |n: Node| Node::Sub(Box::new(name(x)), Box::new(n));
                let at_end = sub(self.node(end));
                let at_start = sub(self.node(start));
                let init = self.node(init);
                let next = sub(row(vec![name(t), op("+"), Node::Num("1".into())]));
                self.subst.push((x, sub(name(t))));
                let step_n = self.node(step);
                self.subst.pop();
                let (s, e) = (self.node(start), self.node(end));
                row(vec![
                    at_end,
                    Node::Text(" where ".into()),
                    at_start,
                    op("="),
                    init,
                    op(","),
                    next,
                    op("="),
                    step_n,
                    Node::Text(" for ".into()),
                    s,
                    op("≤"),
                    name(t),
                    op("<"),
                    e,
                ])
            }
        }
    }
}

/// Escapes text for XML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn mathml(n: &Node, out: &mut String) {
    match n {
        Node::Row(v) => {
            out.push_str("<mrow>");
            for c in v {
                mathml(c, out);
            }
            out.push_str("</mrow>");
        }
        Node::Ident(s) => {
            let shown = GREEK.iter().find(|g| g.0 == s).map_or(s.as_str(), |g| g.1);
            let _ = write!(out, "<mi>{}</mi>", esc(shown));
        }
        Node::Num(s) => {
            let _ = write!(out, "<mn>{}</mn>", esc(s));
        }
        Node::Op(s) => {
            let _ = write!(out, "<mo>{}</mo>", esc(s));
        }
        Node::Frac(a, b) => {
            out.push_str("<mfrac>");
            mathml(a, out);
            mathml(b, out);
            out.push_str("</mfrac>");
        }
        Node::Sup(a, b) | Node::Sub(a, b) => {
            let tag = if matches!(n, Node::Sup(..)) {
                "msup"
            } else {
                "msub"
            };
            let _ = write!(out, "<{tag}>");
            mathml(a, out);
            mathml(b, out);
            let _ = write!(out, "</{tag}>");
        }
        Node::Sqrt(a) => {
            out.push_str("<msqrt>");
            mathml(a, out);
            out.push_str("</msqrt>");
        }
        Node::Fence(l, r, a) => {
            let _ = write!(out, "<mrow><mo fence=\"true\">{l}</mo>");
            mathml(a, out);
            let _ = write!(out, "<mo fence=\"true\">{r}</mo></mrow>");
        }
        Node::Big(sym, lo, hi) => {
            let _ = write!(out, "<munderover><mo>{sym}</mo>");
            mathml(lo, out);
            mathml(hi, out);
            out.push_str("</munderover>");
        }
        Node::Text(s) => {
            let _ = write!(out, "<mtext>{}</mtext>", esc(&s.replace(' ', "\u{a0}")));
        }
    }
}

fn latex(n: &Node, out: &mut String) {
    match n {
        Node::Row(v) => {
            for c in v {
                latex(c, out);
            }
        }
        Node::Ident(s) => match GREEK.iter().find(|g| g.0 == s) {
            Some(g) => {
                let _ = write!(out, "{} ", g.2);
            }
            None if s.chars().count() == 1 => out.push_str(s),
            None if ["ln", "min", "max", "exp"].contains(&s.as_str()) => {
                let _ = write!(out, "\\{s}");
            }
            None => {
                let _ = write!(out, "\\mathrm{{{s}}}");
            }
        },
        Node::Num(s) => out.push_str(s),
        Node::Op(s) => out.push_str(match s.as_str() {
            "·" => " \\cdot ",
            "\u{2062}" => " ",
            "−" => " - ",
            "≤" => " \\le ",
            "≥" => " \\ge ",
            "<" => " < ",
            ">" => " > ",
            "=" => " = ",
            "+" => " + ",
            "," => ", ",
            "⟺" => " \\iff ",
            "≍" => " \\asymp ",
            other => other,
        }),
        Node::Frac(a, b) => {
            out.push_str("\\frac{");
            latex(a, out);
            out.push_str("}{");
            latex(b, out);
            out.push('}');
        }
        Node::Sup(a, b) | Node::Sub(a, b) => {
            out.push('{');
            latex(a, out);
            out.push_str(if matches!(n, Node::Sup(..)) {
                "}^{"
            } else {
                "}_{"
            });
            latex(b, out);
            out.push('}');
        }
        Node::Sqrt(a) => {
            out.push_str("\\sqrt{");
            latex(a, out);
            out.push('}');
        }
        Node::Fence(l, r, a) => {
            let tex = |f: &str| {
                match f {
                    "⌊" => "\\lfloor ",
                    "⌋" => "\\rfloor ",
                    "⌈" => "\\lceil ",
                    "⌉" => "\\rceil ",
                    "|" => "|",
                    other => other,
                }
                .to_string()
            };
            let _ = write!(out, "\\left{}", tex(l));
            latex(a, out);
            let _ = write!(out, "\\right{}", tex(r));
        }
        Node::Big(sym, lo, hi) => {
            out.push_str(if *sym == "∑" { "\\sum_{" } else { "\\prod_{" });
            latex(lo, out);
            out.push_str("}^{");
            latex(hi, out);
            out.push_str("} ");
        }
        Node::Text(s) => {
            let _ = write!(out, "\\text{{{s}}}");
        }
    }
}

fn rel_op(r: Rel) -> Node {
    op(match r {
        Rel::Le => "≤",
        Rel::Lt => "<",
        Rel::Ge => "≥",
        Rel::Gt => ">",
        Rel::Eq => "=",
    })
}

/// A formula as a reader sees it, in both notations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Math {
    /// a `<math>` element (MathML namespace, inline)
    pub mathml: String,
    /// LaTeX without delimiters
    pub latex: String,
}

fn render(n: &Node) -> Math {
    let mut m = String::from("<math xmlns=\"http://www.w3.org/1998/Math/MathML\">");
    mathml(n, &mut m);
    m.push_str("</math>");
    let mut l = String::new();
    latex(n, &mut l);
    Math {
        mathml: m,
        latex: l.split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

fn layout() -> Layout<'static> {
    Layout { subst: Vec::new() }
}

/// An expression as mathematics.
pub fn expr_math(e: &Expr) -> Math {
    render(&layout().node(e))
}

/// A relation as mathematics.
pub fn relation_math(r: &Relation) -> Math {
    let mut l = layout();
    let n = row(vec![l.node(&r.lhs), rel_op(r.rel), l.node(&r.rhs)]);
    render(&n)
}

/// A definition `name = expr` as mathematics.
pub fn definition_math(name_: &str, e: &Expr) -> Math {
    render(&row(vec![name(name_), op("="), layout().node(e)]))
}

/// A statement as the engines print it: a relation, or a symbolic claim (`A/B of order
/// C`, `A REL B exactly when R`); `None` when it is neither.
pub fn statement_math(s: &str) -> Option<Math> {
    if let Ok(r) = parse_relation(s) {
        return Some(relation_math(&r));
    }
    if let Some((ratio, order)) = s.split_once(" of order ") {
        let (a, b) = (parse_expr(ratio).ok()?, parse_expr(order).ok()?);
        let mut l = layout();
        return Some(render(&row(vec![l.node(&a), op("≍"), l.node(&b)])));
    }
    if let Some((rel, when)) = s.split_once(" exactly when ") {
        let (a, b) = (parse_relation(rel).ok()?, parse_relation(when).ok()?);
        let mut l = layout();
        return Some(render(&row(vec![
            l.node(&a.lhs),
            rel_op(a.rel),
            l.node(&a.rhs),
            op("⟺"),
            l.node(&b.lhs),
            rel_op(b.rel),
            l.node(&b.rhs),
        ])));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Math {
        statement_math(s).expect("renders")
    }

    #[test]
    fn fractions_powers_and_names() {
        let x = m("T^a/(3*n^(1 + a)) <= 2*alpha_t");
        assert!(x.mathml.starts_with("<math xmlns="));
        assert!(
            x.mathml
                .contains("<mfrac><msup><mi>T</mi><mi>a</mi></msup>")
        );
        // the exponent 1 + a is raised without parentheses
        assert!(
            x.mathml
                .contains("<msup><mi>n</mi><mrow><mn>1</mn><mo>+</mo><mi>a</mi></mrow></msup>")
        );
        assert!(x.mathml.contains("<mo>≤</mo>"));
        assert!(x.mathml.contains("<msub><mi>α</mi><mi>t</mi></msub>"));
        assert_eq!(
            x.latex,
            "\\frac{{T}^{a}}{3 {n}^{1 + a}} \\le 2 {\\alpha }_{t}"
        );
        // a literal fraction and a decimal
        let y = m("x >= 1/3 + 0.99");
        assert!(y.mathml.contains("<mfrac><mn>1</mn><mn>3</mn></mfrac>"));
        assert!(y.mathml.contains("<mn>0.99</mn>"));
        assert!(
            m("t0 > 1")
                .mathml
                .contains("<msub><mi>t</mi><mn>0</mn></msub>")
        );
    }

    #[test]
    fn parentheses_only_where_the_parse_needs_them() {
        let x = m("(a + b)*c - (d - e) >= -(f + g)");
        assert_eq!(x.mathml.matches("fence=\"true\">(").count(), 3);
        let y = m("(1/2)^n <= exp(-n)");
        // a fraction base is parenthesised; exp is e raised
        assert!(
            y.mathml
                .contains("<msup><mrow><mo fence=\"true\">(</mo><mfrac>")
        );
        assert!(
            y.mathml
                .contains("<msup><mi>e</mi><mrow><mo>−</mo><mi>n</mi></mrow></msup>")
        );
    }

    #[test]
    fn big_operators_and_recurrences() {
        let s = m("sum(i, 1, n, 1/i) <= ln(n) + 1");
        assert!(s.mathml.contains("<munderover><mo>∑</mo>"));
        assert!(s.latex.starts_with("\\sum_{i = 1}^{n}"));
        let r = m("rec(x, t, 1, T, 0, (1 + a/t)*x + 1/t) >= 0");
        // the state inside the step is x_t; the value is x_T
        assert!(r.mathml.starts_with(
            "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><mrow><mrow><msub><mi>x</mi><mi>T</mi></msub>"
        ));
        assert!(r.mathml.contains("<msub><mi>x</mi><mi>t</mi></msub>"));
        assert!(r.latex.contains("{x}_{t + 1} = "));
    }

    #[test]
    fn symbolic_statements() {
        assert!(m("(T/n)/(1) of order T/n").mathml.contains("<mo>≍</mo>"));
        assert!(m("a <= b exactly when T <= n").latex.contains("\\iff"));
        assert!(statement_math("not a formula ((").is_none());
    }

    #[test]
    fn mathml_is_well_formed_xml() {
        for s in [
            "abs(x - y) < min(a, b, c) + floor(x/2) * ceil(y)",
            "sqrt(x) & 1",
            "prod(k, 1, n, 1 - 1/k^2) > 0",
        ] {
            if let Some(x) = statement_math(s) {
                roxmltree::Document::parse(&x.mathml).expect("well-formed");
            }
        }
    }
}

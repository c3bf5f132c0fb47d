//! Claim files: the TOML schema of the Contract (`[[claim]]` tables with `id`, `source`,
//! `text`, ordered `params`, `let`, `holds` or `chain`, optional `threshold` and
//! `best_constant`), loading from files, folders and the catalogue compiled into the binary,
//! and validation. Every error names the file, the claim and the line and column of the
//! offending text. This module parses and checks; it decides nothing.

use crate::construction::{Quantity, Sampling, Spec};
use crate::engine::exact::{self, Budget, Env};
use crate::expr::{self, DomainSpec, Expr, NameUses, Rel, Relation};
use rug::Rational;
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The claim files of the paper, compiled into the binary (name, contents).
pub const CATALOGUE: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/catalogue.rs"));

/// A validated claim.
#[derive(Clone, Debug)]
pub struct Claim {
    /// unique id (`lemma3`); chain steps are reported as `<id>.step<k>`
    pub id: String,
    /// the paper's label (`Lemma 3`)
    pub source: String,
    /// the paper's wording
    pub text: String,
    /// the file it came from
    pub file: String,
    /// parameters in declaration order (later domains may use earlier parameters)
    pub params: Vec<Param>,
    /// named definitions, in order (each may use parameters and earlier definitions)
    pub lets: Vec<Def>,
    /// what is claimed
    pub body: Body,
    /// parameter whose threshold is searched
    pub threshold: Option<String>,
    /// free symbol of `holds` whose best value is searched
    pub best_constant: Option<String>,
    /// the construction whose derived quantities the claim uses
    pub construction: Option<String>,
    /// relations that must hold at a point for the derived quantities to mean what they
    /// say (a point where one fails is undecided, never a counterexample)
    pub guards: Vec<(String, Relation)>,
}

/// A parameter and its domain.
#[derive(Clone, Debug)]
pub struct Param {
    /// name
    pub name: String,
    /// domain, bounds still expressions in earlier parameters
    pub domain: DomainSpec,
}

/// A named definition (`let`).
#[derive(Clone, Debug)]
pub struct Def {
    /// name
    pub name: String,
    /// value
    pub expr: Expr,
}

/// A claim's statement.
#[derive(Clone, Debug)]
pub enum Body {
    /// `holds = "lhs REL rhs"`
    Holds(Relation),
    /// `chain = ["E1", REL, "E2", REL, "E3", ...]`: `exprs.len() == rels.len() + 1`
    Chain {
        /// the links
        exprs: Vec<Expr>,
        /// relation between link k and link k+1
        rels: Vec<Rel>,
    },
    /// a `[[symbolic]]` table, decided by the symbolic engine
    Symbolic(SymbolicSpec),
}

/// What a `[[symbolic]]` table claims about two bounds `a` and `b`.
#[derive(Clone, Debug)]
pub struct SymbolicSpec {
    /// `order` (A/B has the claimed order as the `grow` variables grow) or `regime`
    /// (A <= B exactly when the claimed relation holds)
    pub op: SymbolicOp,
    /// first bound, definitions and `let`s substituted
    pub a: Expr,
    /// second bound
    pub b: Expr,
    /// the claimed order (an expression) or regime (a relation), as written
    pub claimed: String,
    /// parameter assumptions (claim-file parameter syntax)
    pub assume: Vec<String>,
    /// the growing variables
    pub grow: Vec<String>,
    /// the variable a regime is solved for
    pub solve_for: Option<String>,
    /// points at which the dropped constant of a regime is evaluated
    pub evaluate: Vec<Vec<(String, Rational)>>,
}

/// The kinds of `[[symbolic]]` claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolicOp {
    /// `op = "order"`
    Order,
    /// `op = "regime"`
    Regime,
}

/// A claim file that could not be loaded: where and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct LoadError {
    /// file path (or catalogue name)
    pub file: String,
    /// the claim, when the error is inside one
    pub claim: Option<String>,
    /// 1-based line (0 when there is no position)
    pub line: usize,
    /// 1-based column in characters
    pub col: usize,
    /// what is wrong
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.col)?;
        }
        f.write_str(": ")?;
        if let Some(c) = &self.claim {
            write!(f, "claim `{c}`: ")?;
        }
        f.write_str(&self.message)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    claim: Vec<Spanned<RawClaim>>,
    #[serde(default)]
    construction: Vec<Spanned<RawConstruction>>,
    #[serde(default)]
    definition: Vec<Spanned<RawDefinition>>,
    #[serde(default)]
    symbolic: Vec<Spanned<RawSymbolic>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSymbolic {
    id: Spanned<String>,
    source: Spanned<String>,
    text: Spanned<String>,
    op: Spanned<String>,
    a: Spanned<String>,
    b: Spanned<String>,
    claimed: Spanned<String>,
    #[serde(default)]
    assume: Vec<Spanned<String>>,
    #[serde(default, rename = "let")]
    lets: Vec<Spanned<String>>,
    #[serde(default, rename = "as")]
    grow: Vec<Spanned<String>>,
    solve_for: Option<Spanned<String>>,
    #[serde(default)]
    evaluate: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefinition {
    name: Spanned<String>,
    source: Spanned<String>,
    text: Spanned<String>,
    expr: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // `source` and `text` document the construction; required, not read
struct RawConstruction {
    id: Spanned<String>,
    source: Spanned<String>,
    text: Spanned<String>,
    loss: Spanned<String>,
    eigenvalue: Spanned<String>,
    x: Spanned<String>,
    x_twin: Spanned<String>,
    y: Spanned<String>,
    y_twin: Spanned<String>,
    step: Spanned<String>,
    first_step: Option<Spanned<String>>,
    sampling: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClaim {
    id: Spanned<String>,
    source: Spanned<String>,
    text: Spanned<String>,
    #[serde(default)]
    params: Vec<Spanned<String>>,
    #[serde(default, rename = "let")]
    lets: Vec<Spanned<String>>,
    holds: Option<Spanned<String>>,
    chain: Option<Spanned<Vec<Spanned<String>>>>,
    threshold: Option<Spanned<String>>,
    best_constant: Option<Spanned<String>>,
    construction: Option<Spanned<String>>,
}

struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
    claim: Option<String>,
}

impl Ctx<'_> {
    fn at(&self, offset: usize, message: impl Into<String>) -> LoadError {
        let (line, col) = expr::line_col(self.text, offset);
        LoadError {
            file: self.file.to_string(),
            claim: self.claim.clone(),
            line,
            col,
            message: message.into(),
        }
    }

    /// Byte offset in the file of byte `inner` of the string value `s`.
    fn inner(&self, s: &Spanned<String>, inner: usize) -> usize {
        raw_offset(self.text, s.span().start, inner)
    }

    fn parse_err(&self, s: &Spanned<String>, e: expr::ParseError) -> LoadError {
        self.at(self.inner(s, e.offset), e.message)
    }
}

/// The byte offset in `text` of byte `inner` of the decoded value of the TOML string that
/// starts at `start`: escapes (`\u0020`, `\t`, …), the newline that opens a multi-line
/// string and line-ending backslashes are skipped as TOML decodes them, so a column inside a
/// formula points at the right character of the file.
pub fn raw_offset(text: &str, start: usize, inner: usize) -> usize {
    let start = start.min(text.len());
    let rest = &text[start..];
    let (literal, quote) = if rest.starts_with("\"\"\"") {
        (false, 3)
    } else if rest.starts_with("'''") {
        (true, 3)
    } else if rest.starts_with('\'') {
        (true, 1)
    } else if rest.starts_with('"') {
        (false, 1)
    } else {
        return start + inner;
    };
    let b = rest.as_bytes();
    let mut i = quote;
    // a multi-line string drops a newline right after its opening quotes
    if quote == 3 {
        if b.get(i) == Some(&b'\n') {
            i += 1;
        } else if b.get(i) == Some(&b'\r') && b.get(i + 1) == Some(&b'\n') {
            i += 2;
        }
    }
    let mut decoded = 0usize;
    while i < b.len() && decoded < inner {
        if !literal && b[i] == b'\\' {
            let esc = b.get(i + 1).copied().unwrap_or(b' ');
            match esc {
                b'u' | b'U' => {
                    let n = if esc == b'u' { 4 } else { 8 };
                    let hex = rest.get(i + 2..i + 2 + n).unwrap_or("");
                    let ch = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
                    decoded += ch.map_or(1, char::len_utf8);
                    i += 2 + n;
                }
                b' ' | b'\t' | b'\n' | b'\r' if quote == 3 => {
                    // a line-ending backslash: it and the following whitespace vanish
                    i += 1;
                    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
                        i += 1;
                    }
                }
                _ => {
                    decoded += 1;
                    i += 2;
                }
            }
            continue;
        }
        let len = rest[i..].chars().next().map_or(1, char::len_utf8);
        decoded += len;
        i += len;
    }
    start + i
}

/// A named definition shared by every claim of a load (`[[definition]]` tables), such as a
/// theorem of another paper that claims compare against. Its expression may use only names
/// that a claim declares as parameters; a claim that uses the name gets it as a definition.
#[derive(Clone, Debug)]
pub struct Definition {
    /// the name claims use
    pub name: String,
    /// where it comes from
    pub source: String,
    /// its statement in words
    pub text: String,
    /// its value
    pub expr: Expr,
}

/// Constructions and definitions visible to every claim of one load.
#[derive(Clone, Debug, Default)]
struct Shared {
    constructions: HashMap<String, Spec>,
    definitions: Vec<Definition>,
}

/// A multi-line message (TOML's `invalid table header\nexpected ...`) as one line.
pub fn one_line(msg: &str) -> String {
    msg.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Loads and validates every claim in one file's text.
pub fn load_str(file: &str, text: &str) -> Result<Vec<Claim>, LoadError> {
    load_sources(&[(file.to_string(), text.to_string())])
}

/// Loads several files as one catalogue: constructions and definitions of any file are
/// visible to the claims of every file; claim ids are unique across all of them.
pub fn load_sources(sources: &[(String, String)]) -> Result<Vec<Claim>, LoadError> {
    let mut raws = Vec::new();
    let mut shared = Shared::default();
    let mut total = 0usize;
    for (file, text) in sources {
        let mut ctx = Ctx {
            file,
            text,
            claim: None,
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let off = e.span().map_or(0, |s| s.start);
            ctx.at(off, one_line(e.message()))
        })?;
        for rc in &raw.construction {
            let rc = rc.get_ref();
            ctx.claim = Some(rc.id.get_ref().clone());
            let spec = construction_spec(&ctx, rc)?;
            if shared
                .constructions
                .insert(rc.id.get_ref().trim().to_string(), spec)
                .is_some()
            {
                return Err(ctx.at(rc.id.span().start, "duplicate construction id"));
            }
        }
        for rd in &raw.definition {
            let rd = rd.get_ref();
            ctx.claim = Some(rd.name.get_ref().clone());
            let name = rd.name.get_ref().trim().to_string();
            if !valid_name(&name) {
                return Err(ctx.at(
                    rd.name.span().start,
                    format!("`{name}` is not a valid name"),
                ));
            }
            if shared.definitions.iter().any(|d| d.name == name) {
                return Err(ctx.at(
                    rd.name.span().start,
                    format!("definition `{name}` is declared twice"),
                ));
            }
            let e = expr::parse_expr(rd.expr.get_ref()).map_err(|e| ctx.parse_err(&rd.expr, e))?;
            shared.definitions.push(Definition {
                name,
                source: rd.source.get_ref().clone(),
                text: rd.text.get_ref().clone(),
                expr: e,
            });
        }
        total +=
            raw.claim.len() + raw.construction.len() + raw.definition.len() + raw.symbolic.len();
        raws.push((file, text, raw));
    }
    let mut out = Vec::new();
    for (file, text, raw) in &raws {
        let mut ctx = Ctx {
            file,
            text,
            claim: None,
        };
        let mut seen: HashMap<String, usize> = HashMap::new();
        for rc in &raw.claim {
            let rc = rc.get_ref();
            ctx.claim = Some(rc.id.get_ref().clone());
            let c = validate(&ctx, rc, &shared)?;
            if let Some(_prev) = seen.insert(c.id.clone(), rc.id.span().start) {
                return Err(ctx.at(rc.id.span().start, "duplicate claim id"));
            }
            out.push(c);
        }
        for rs in &raw.symbolic {
            let rs = rs.get_ref();
            ctx.claim = Some(rs.id.get_ref().clone());
            let c = validate_symbolic(&ctx, rs, &shared)?;
            if seen.insert(c.id.clone(), rs.id.span().start).is_some() {
                return Err(ctx.at(rs.id.span().start, "duplicate claim id"));
            }
            out.push(c);
        }
        if raw.claim.is_empty()
            && raw.construction.is_empty()
            && raw.definition.is_empty()
            && raw.symbolic.is_empty()
        {
            return Err(ctx.at(
                0,
                "no [[claim]], [[construction]] or [[definition]] tables in this file",
            ));
        }
    }
    if total == 0 {
        return Err(LoadError {
            file: sources.first().map_or_else(String::new, |s| s.0.clone()),
            claim: None,
            line: 0,
            col: 0,
            message: "no claims".into(),
        });
    }
    unique_ids(&out)?;
    Ok(out)
}

/// Loads a claim file or every `*.toml` file of a folder (sorted by name).
pub fn load_path(path: &Path) -> Result<Vec<Claim>, LoadError> {
    load_sources(&read_path(path)?)
}

/// The (name, text) of a claim file, or of every `*.toml` file of a folder.
fn read_path(path: &Path) -> Result<Vec<(String, String)>, LoadError> {
    let io_err = |p: &Path, e: std::io::Error| LoadError {
        file: p.display().to_string(),
        claim: None,
        line: 0,
        col: 0,
        message: format!("cannot read: {e}"),
    };
    let mut files: Vec<PathBuf> = Vec::new();
    if path.is_dir() {
        for entry in std::fs::read_dir(path).map_err(|e| io_err(path, e))? {
            let p = entry.map_err(|e| io_err(path, e))?.path();
            if p.extension().is_some_and(|x| x == "toml") {
                files.push(p);
            }
        }
        files.sort();
        if files.is_empty() {
            return Err(LoadError {
                file: path.display().to_string(),
                claim: None,
                line: 0,
                col: 0,
                message: "folder holds no .toml claim files".into(),
            });
        }
    } else {
        files.push(path.to_path_buf());
    }
    let mut sources = Vec::new();
    for f in files {
        let text = read_text(&f).map_err(|e| io_err(&f, e))?;
        sources.push((f.display().to_string(), text));
    }
    Ok(sources)
}

/// Largest input file read (claim files, simulate configs): anything larger is refused
/// before it is read whole (`stabcert check /dev/zero`).
pub const MAX_INPUT_BYTES: u64 = 8 << 20;

/// The text of an input file, refused when larger than [`MAX_INPUT_BYTES`] or not UTF-8.
pub fn read_text(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let f = std::fs::File::open(path)?;
    let mut buf = Vec::new();
    f.take(MAX_INPUT_BYTES + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > MAX_INPUT_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {} MiB, the most an input file may have",
            MAX_INPUT_BYTES >> 20
        )));
    }
    String::from_utf8(buf).map_err(|_| std::io::Error::other("not UTF-8 text"))
}

/// Loads several paths and checks that claim ids are unique across all of them.
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<Claim>, LoadError> {
    let mut sources = Vec::new();
    for p in paths {
        sources.extend(read_path(p)?);
    }
    load_sources(&sources)
}

/// The `[[construction]]` tables of a file's text (its claims, definitions and symbolic
/// tables are parsed but not validated), by id in file order.
pub fn load_constructions(file: &str, text: &str) -> Result<Vec<(String, Spec)>, LoadError> {
    let mut ctx = Ctx {
        file,
        text,
        claim: None,
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let off = e.span().map_or(0, |s| s.start);
        ctx.at(off, e.message().to_string())
    })?;
    let mut out: Vec<(String, Spec)> = Vec::new();
    for rc in &raw.construction {
        let rc = rc.get_ref();
        ctx.claim = Some(rc.id.get_ref().clone());
        let id = rc.id.get_ref().trim().to_string();
        if out.iter().any(|(i, _)| *i == id) {
            return Err(ctx.at(rc.id.span().start, "duplicate construction id"));
        }
        out.push((id, construction_spec(&ctx, rc)?));
    }
    Ok(out)
}

/// The constructions of the catalogue compiled into the binary.
pub fn catalogue_constructions() -> Result<Vec<(String, Spec)>, LoadError> {
    let mut out = Vec::new();
    for (name, text) in CATALOGUE {
        out.extend(load_constructions(&format!("<catalogue>/{name}"), text)?);
    }
    Ok(out)
}

/// Loads the catalogue compiled into the binary.
pub fn load_catalogue() -> Result<Vec<Claim>, LoadError> {
    let sources: Vec<(String, String)> = CATALOGUE
        .iter()
        .map(|(name, text)| (format!("<catalogue>/{name}"), text.to_string()))
        .collect();
    load_sources(&sources)
}

fn unique_ids(claims: &[Claim]) -> Result<(), LoadError> {
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for c in claims {
        if let Some(prev) = seen.insert(&c.id, &c.file) {
            return Err(LoadError {
                file: c.file.clone(),
                claim: Some(c.id.clone()),
                line: 0,
                col: 0,
                message: format!("claim id already used in {prev}"),
            });
        }
    }
    Ok(())
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Checks that every name used is known; `known` are the names visible at this point and
/// `later` those declared further down (a forward reference gets its own message).
fn check_names(
    ctx: &Ctx,
    s: &Spanned<String>,
    uses: &NameUses,
    known: &BTreeSet<String>,
    later: &BTreeSet<String>,
    what: &str,
) -> Result<(), LoadError> {
    check_names_hinted(ctx, s, uses, known, later, what, &HashMap::new())
}

fn check_names_hinted(
    ctx: &Ctx,
    s: &Spanned<String>,
    uses: &NameUses,
    known: &BTreeSet<String>,
    later: &BTreeSet<String>,
    what: &str,
    hints: &HashMap<String, String>,
) -> Result<(), LoadError> {
    for (name, off) in uses {
        if known.contains(name) {
            continue;
        }
        let msg = if let Some(h) = hints.get(name) {
            format!("{h}, which this claim does not declare")
        } else if later.contains(name) {
            format!(
                "{what} refers to `{name}`, which is declared later (only earlier parameters and definitions may be used)"
            )
        } else {
            format!("unknown name `{name}` in {what}")
        };
        return Err(ctx.at(ctx.inner(s, *off), msg));
    }
    Ok(())
}

fn construction_spec(ctx: &Ctx, rc: &RawConstruction) -> Result<Spec, LoadError> {
    if rc.loss.get_ref().trim() != "quadratic" {
        return Err(ctx.at(
            rc.loss.span().start,
            "the only construction loss is \"quadratic\" (f(w; z) = 1/2 w^T A w - y x^T w)",
        ));
    }
    let field = |s: &Spanned<String>, what: &str, allowed: &[&str]| -> Result<Expr, LoadError> {
        let (e, uses) = expr::parse_expr_uses(s.get_ref()).map_err(|e| ctx.parse_err(s, e))?;
        for (name, off) in &uses {
            if allowed.contains(&name.as_str()) {
                return Err(ctx.at(
                    ctx.inner(s, *off),
                    format!("`{name}` is reserved for the derived quantities and cannot appear in {what}"),
                ));
            }
        }
        Ok(e)
    };
    let reserved = ["T", "t0", "t1", "s"];
    let step = field(&rc.step, "the step size", &reserved)?;
    Ok(Spec {
        eigenvalue: field(
            &rc.eigenvalue,
            "the eigenvalue",
            &["T", "t0", "t1", "s", "t"],
        )?,
        x: field(&rc.x, "x", &["T", "t0", "t1", "s", "t"])?,
        x_twin: field(&rc.x_twin, "x_twin", &["T", "t0", "t1", "s", "t"])?,
        y: field(&rc.y, "y", &["T", "t0", "t1", "s", "t"])?,
        y_twin: field(&rc.y_twin, "y_twin", &["T", "t0", "t1", "s", "t"])?,
        step,
        first_step: match &rc.first_step {
            Some(f) => field(f, "first_step", &["T", "t0", "t1", "s", "t"])?,
            None => Expr::num(1),
        },
        sampling: Sampling::parse(rc.sampling.get_ref()).ok_or_else(|| {
            ctx.at(
                rc.sampling.span().start,
                "sampling is \"with-replacement\" or \"reshuffle\"",
            )
        })?,
    })
}

fn validate(ctx: &Ctx, rc: &RawClaim, shared: &Shared) -> Result<Claim, LoadError> {
    let constructions = &shared.constructions;
    let id = rc.id.get_ref().trim().to_string();
    if !valid_id(&id) {
        return Err(ctx.at(
            rc.id.span().start,
            "claim id must be non-empty and use only letters, digits, `.`, `_` and `-`",
        ));
    }
    // parameters
    let mut specs = Vec::new();
    for s in &rc.params {
        let (spec, uses) = expr::parse_param(s.get_ref()).map_err(|e| ctx.parse_err(s, e))?;
        specs.push((s, spec, uses));
    }
    let all_params: Vec<String> = specs.iter().map(|(_, p, _)| p.name.clone()).collect();
    let lets_raw: Vec<_> = rc
        .lets
        .iter()
        .map(|s| {
            expr::parse_definition(s.get_ref())
                .map(|d| (s, d))
                .map_err(|e| ctx.parse_err(s, e))
        })
        .collect::<Result<_, _>>()?;
    let all_lets: Vec<String> = lets_raw.iter().map(|(_, d)| d.0.clone()).collect();

    let mut known: BTreeSet<String> = BTreeSet::new();
    let mut params = Vec::new();
    for (i, (s, spec, uses)) in specs.iter().enumerate() {
        if known.contains(&spec.name) {
            return Err(ctx.at(
                ctx.inner(s, spec.name_offset),
                format!("parameter `{}` is declared twice", spec.name),
            ));
        }
        let later: BTreeSet<String> = all_params[i..].iter().cloned().collect();
        check_names(
            ctx,
            s,
            uses,
            &known,
            &later,
            &format!("the domain of `{}`", spec.name),
        )?;
        if uses.is_empty() {
            check_constant_domain(&spec.domain)
                .map_err(|m| ctx.at(ctx.inner(s, spec.name_offset), m))?;
        }
        known.insert(spec.name.clone());
        params.push(Param {
            name: spec.name.clone(),
            domain: spec.domain.clone(),
        });
    }
    // quantities derived from a construction: definitions placed before the claim's own
    let mut derived: Vec<Quantity> = Vec::new();
    let mut hints: HashMap<String, String> = HashMap::new();
    if let Some(cn) = &rc.construction {
        let name = cn.get_ref().trim();
        let Some(spec) = constructions.get(name) else {
            return Err(ctx.at(
                cn.span().start,
                format!("no [[construction]] with id `{name}` in the files loaded"),
            ));
        };
        for q in spec.quantities() {
            if known.contains(&q.name) {
                return Err(ctx.at(
                    cn.span().start,
                    format!(
                        "parameter `{}` clashes with the construction's quantity of that name",
                        q.name
                    ),
                ));
            }
            match q
                .expr
                .free_vars()
                .into_iter()
                .find(|v| !known.contains(v) && !all_lets.contains(v))
            {
                None => derived.push(q),
                Some(missing) => {
                    hints.insert(
                        q.name.clone(),
                        format!(
                            "`{}` ({}) needs the parameter or definition `{missing}`",
                            q.name, q.meaning
                        ),
                    );
                }
            }
        }
    }
    // shared definitions whose names are used, when their parameters are declared
    for d in &shared.definitions {
        if known.contains(&d.name) || derived.iter().any(|q| q.name == d.name) {
            continue;
        }
        match d
            .expr
            .free_vars()
            .into_iter()
            .find(|v| !known.contains(v) && !all_lets.contains(v))
        {
            None => derived.push(Quantity {
                name: d.name.clone(),
                meaning: d.source.clone(),
                expr: d.expr.clone(),
                guards: Vec::new(),
            }),
            Some(missing) => {
                hints.insert(
                    d.name.clone(),
                    format!(
                        "`{}` ({}) needs the parameter or definition `{missing}`",
                        d.name, d.source
                    ),
                );
            }
        }
    }
    for q in &derived {
        known.insert(q.name.to_string());
    }
    // definitions
    let mut lets = Vec::new();
    for (i, (s, (name, at, e, uses))) in lets_raw.iter().enumerate() {
        if known.contains(name) {
            return Err(ctx.at(
                ctx.inner(s, *at),
                format!("`{name}` is already a parameter or an earlier definition"),
            ));
        }
        let later: BTreeSet<String> = all_lets[i..].iter().cloned().collect();
        check_names_hinted(
            ctx,
            s,
            uses,
            &known,
            &later,
            &format!("the definition of `{name}`"),
            &hints,
        )?;
        known.insert(name.clone());
        lets.push(Def {
            name: name.clone(),
            expr: e.clone(),
        });
    }
    // the constant searched for is a free symbol of `holds`
    let mut known_body = known.clone();
    if let Some(k) = &rc.best_constant {
        let name = k.get_ref().trim();
        if known.contains(name) {
            return Err(ctx.at(
                k.span().start,
                format!(
                    "best_constant `{name}` must be a free symbol, not a parameter or definition"
                ),
            ));
        }
        if !valid_name(name) {
            return Err(ctx.at(k.span().start, format!("`{name}` is not a valid name")));
        }
        known_body.insert(name.to_string());
    }
    let none = BTreeSet::new();
    let body = match (&rc.holds, &rc.chain) {
        (Some(_), Some(c)) => {
            return Err(ctx.at(c.span().start, "a claim has `holds` or `chain`, not both"));
        }
        (None, None) => {
            return Err(ctx.at(rc.id.span().start, "a claim needs `holds` or `chain`"));
        }
        (Some(h), None) => {
            let (rel, uses) =
                expr::parse_relation_uses(h.get_ref()).map_err(|e| ctx.parse_err(h, e))?;
            check_names_hinted(ctx, h, &uses, &known_body, &none, "`holds`", &hints)?;
            if let Some(k) = &rc.best_constant {
                let name = k.get_ref().trim();
                if !uses.iter().any(|(n, _)| n == name) {
                    return Err(ctx.at(
                        k.span().start,
                        format!("best_constant `{name}` does not occur in `holds`"),
                    ));
                }
            }
            Body::Holds(rel)
        }
        (None, Some(c)) => {
            if rc.best_constant.is_some() {
                return Err(ctx.at(
                    c.span().start,
                    "best_constant needs `holds`; a chain has no single constant",
                ));
            }
            let items = c.get_ref();
            if items.len() < 3 || items.len() % 2 == 0 {
                return Err(ctx.at(
                    c.span().start,
                    "a chain is [\"E1\", REL, \"E2\", ...]: an odd number (at least 3) of entries",
                ));
            }
            let mut exprs = Vec::new();
            let mut rels = Vec::new();
            for (k, item) in items.iter().enumerate() {
                if k % 2 == 1 {
                    let r = Rel::from_symbol(item.get_ref()).ok_or_else(|| {
                        ctx.at(
                            item.span().start,
                            format!(
                                "expected a relation (`<=`, `<`, `>=`, `>`, `=`) between chain links, found `{}`",
                                item.get_ref()
                            ),
                        )
                    })?;
                    rels.push(r);
                } else {
                    let (e, uses) = expr::parse_expr_uses(item.get_ref())
                        .map_err(|e| ctx.parse_err(item, e))?;
                    check_names_hinted(ctx, item, &uses, &known, &none, "the chain", &hints)?;
                    exprs.push(e);
                }
            }
            if rels
                .iter()
                .try_fold(Rel::Eq, |a, r| a.compose(*r))
                .is_none()
            {
                return Err(ctx.at(
                    c.span().start,
                    "a chain mixes `<`-type and `>`-type relations, so it relates nothing",
                ));
            }
            Body::Chain { exprs, rels }
        }
    };
    let threshold = match &rc.threshold {
        None => None,
        Some(t) => {
            let name = t.get_ref().trim();
            let Some(p) = params.iter().find(|p| p.name == name) else {
                return Err(ctx.at(
                    t.span().start,
                    format!("threshold `{name}` is not a parameter of this claim"),
                ));
            };
            if matches!(p.domain, DomainSpec::Fixed(_)) {
                return Err(ctx.at(
                    t.span().start,
                    format!("threshold `{name}` is a fixed parameter; give it a range"),
                ));
            }
            Some(name.to_string())
        }
    };
    // keep the derived quantities the claim uses (directly or through its definitions),
    // as definitions ahead of its own, with their guards
    let mut used: BTreeSet<String> = match &body {
        Body::Holds(r) => {
            let mut u = r.lhs.free_vars();
            u.extend(r.rhs.free_vars());
            u
        }
        Body::Chain { exprs, .. } => exprs.iter().flat_map(|e| e.free_vars()).collect(),
        Body::Symbolic(_) => BTreeSet::new(),
    };
    // close over the claim's own definitions and the derived ones (either may use the other)
    loop {
        let before = used.len();
        for (name, e) in lets
            .iter()
            .map(|d| (&d.name, &d.expr))
            .chain(derived.iter().map(|q| (&q.name, &q.expr)))
        {
            if used.contains(name) {
                used.extend(e.free_vars());
            }
        }
        if used.len() == before {
            break;
        }
    }
    let mut guards: Vec<(String, Relation)> = Vec::new();
    let mut pending: Vec<Def> = Vec::new();
    for q in derived.into_iter().filter(|q| used.contains(&q.name)) {
        for g in q.guards {
            if !guards.iter().any(|(t, r)| *t == g.0 && *r == g.1) {
                guards.push(g);
            }
        }
        pending.push(Def {
            name: q.name,
            expr: q.expr,
        });
    }
    // place each derived definition right after the definitions it needs
    let mut defined: BTreeSet<String> = params.iter().map(|p| p.name.clone()).collect();
    let mut ordered: Vec<Def> = Vec::new();
    let mut own = lets.into_iter().peekable();
    loop {
        let mut progress = false;
        let mut k = 0;
        while k < pending.len() {
            if pending[k]
                .expr
                .free_vars()
                .iter()
                .all(|v| defined.contains(v))
            {
                let d = pending.remove(k);
                defined.insert(d.name.clone());
                ordered.push(d);
                progress = true;
            } else {
                k += 1;
            }
        }
        match own.peek() {
            Some(d) if d.expr.free_vars().iter().all(|v| defined.contains(v)) => {
                let d = own.next().expect("peeked");
                defined.insert(d.name.clone());
                ordered.push(d);
            }
            Some(d) if !progress => {
                return Err(ctx.at(
                    rc.id.span().start,
                    format!(
                        "the definition of `{}` uses a construction quantity or shared definition that itself needs a later definition",
                        d.name
                    ),
                ));
            }
            Some(_) => {}
            None if pending.is_empty() => break,
            None if !progress => {
                return Err(ctx.at(rc.id.span().start, "circular definitions"));
            }
            None => {}
        }
    }
    let lets = ordered;
    // guards speak of parameters only: inline the definitions they use
    for (_, r) in guards.iter_mut() {
        for d in lets.iter().rev() {
            let too_large = |e: expr::TooLarge| ctx.at(rc.id.span().start, e.0);
            r.lhs = r
                .lhs
                .substitute_checked(&d.name, &d.expr)
                .map_err(too_large)?;
            r.rhs = r
                .rhs
                .substitute_checked(&d.name, &d.expr)
                .map_err(too_large)?;
        }
    }
    Ok(Claim {
        id,
        source: rc.source.get_ref().clone(),
        text: rc.text.get_ref().clone(),
        file: ctx.file.to_string(),
        params,
        lets,
        body,
        threshold,
        best_constant: rc
            .best_constant
            .as_ref()
            .map(|k| k.get_ref().trim().to_string()),
        construction: rc
            .construction
            .as_ref()
            .map(|c| c.get_ref().trim().to_string()),
        guards,
    })
}

fn valid_name(s: &str) -> bool {
    let mut ch = s.chars();
    ch.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && ch.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '\'')
        && !expr::RESERVED.contains(&s)
}

/// Rejects domains with constant bounds that are empty or inverted.
fn check_constant_domain(d: &DomainSpec) -> Result<(), String> {
    let b = Budget::with_time(std::time::Duration::from_secs(10));
    let val = |e: &Expr| -> Result<Option<rug::Rational>, String> {
        match exact::eval(e, &mut Env::new(), &b) {
            Ok(v) => Ok(Some(v)),
            Err(exact::ExactError::NotRational(_) | exact::ExactError::Irrational(_)) => Ok(None),
            Err(e) => Err(format!("bad domain bound: {e}")),
        }
    };
    match d {
        DomainSpec::Fixed(e) => {
            val(e)?;
        }
        DomainSpec::Set(vs) => {
            for v in vs {
                val(v)?;
            }
        }
        DomainSpec::IntRange {
            lo, hi, inclusive, ..
        } => {
            if let (Some(lo), Some(hi)) = (val(lo)?, val(hi)?) {
                let lo_i = lo.clone().ceil();
                let mut hi_i = hi.clone().floor();
                if !inclusive && hi.is_integer() {
                    hi_i -= 1;
                }
                if lo_i > hi_i {
                    return Err(format!(
                        "empty integer range: no integer from {lo} to {hi}{}",
                        if *inclusive {
                            " inclusive"
                        } else {
                            " (exclusive)"
                        }
                    ));
                }
            }
        }
        DomainSpec::Real {
            lo,
            lo_closed,
            hi,
            hi_closed,
        } => {
            if let (Some(l), Some(h)) = (val(lo)?, val(hi)?)
                && (l > h || (l == h && !(*lo_closed && *hi_closed)))
            {
                return Err(format!("empty or inverted interval: from {l} to {h}"));
            }
        }
    }
    Ok(())
}

/// Validates a `[[symbolic]]` table: the bounds parse (definitions and `let`s substituted),
/// the claimed order or regime parses, the assumptions and evaluation points are exact.
fn validate_symbolic(ctx: &Ctx, rs: &RawSymbolic, shared: &Shared) -> Result<Claim, LoadError> {
    let id = rs.id.get_ref().trim().to_string();
    let op = match rs.op.get_ref().trim() {
        "order" => SymbolicOp::Order,
        "regime" => SymbolicOp::Regime,
        other => {
            return Err(ctx.at(
                rs.op.span().start,
                format!("unknown op `{other}` (expected \"order\" or \"regime\")"),
            ));
        }
    };
    let mut lets: Vec<(String, Expr)> = Vec::new();
    for l in &rs.lets {
        let (name, _, e, _) =
            expr::parse_definition(l.get_ref()).map_err(|e| ctx.parse_err(l, e))?;
        lets.push((name, e));
    }
    let bound = |s: &Spanned<String>| -> Result<Expr, LoadError> {
        let mut e = expr::parse_expr(s.get_ref()).map_err(|e| ctx.parse_err(s, e))?;
        // definitions first (they may use the let names), then the lets, last to first
        let too_large = |e: expr::TooLarge| ctx.at(s.span().start, e.0);
        for _ in 0..8 {
            for d in &shared.definitions {
                e = e.substitute_checked(&d.name, &d.expr).map_err(too_large)?;
            }
        }
        for (n, v) in lets.iter().rev() {
            e = e.substitute_checked(n, v).map_err(too_large)?;
        }
        Ok(e)
    };
    let a = bound(&rs.a)?;
    let b = bound(&rs.b)?;
    let claimed = rs.claimed.get_ref().clone();
    match op {
        SymbolicOp::Order => {
            expr::parse_expr(&claimed).map_err(|e| ctx.parse_err(&rs.claimed, e))?;
        }
        SymbolicOp::Regime => {
            expr::parse_relation(&claimed).map_err(|e| ctx.parse_err(&rs.claimed, e))?;
            if rs.solve_for.is_none() {
                return Err(ctx.at(rs.id.span().start, "a regime needs `solve_for`"));
            }
        }
    }
    for s in &rs.assume {
        expr::parse_param(s.get_ref()).map_err(|e| ctx.parse_err(s, e))?;
    }
    let mut evaluate = Vec::new();
    for s in &rs.evaluate {
        let mut point = Vec::new();
        for part in s.get_ref().split(',') {
            let Some((n, v)) = part.split_once('=') else {
                return Err(ctx.at(s.span().start, "expected `name = value, ...`"));
            };
            let v = expr::parse_expr(v.trim())
                .ok()
                .and_then(|e| {
                    crate::engine::exact::eval_closed(&e, &crate::engine::exact::Budget::default())
                        .ok()
                })
                .ok_or_else(|| {
                    ctx.at(
                        s.span().start,
                        format!("`{}` is not an exact value", v.trim()),
                    )
                })?;
            point.push((n.trim().to_string(), v));
        }
        evaluate.push(point);
    }
    Ok(Claim {
        id,
        source: rs.source.get_ref().clone(),
        text: rs.text.get_ref().clone(),
        file: ctx.file.to_string(),
        params: Vec::new(),
        lets: Vec::new(),
        body: Body::Symbolic(SymbolicSpec {
            op,
            a,
            b,
            claimed,
            assume: rs.assume.iter().map(|s| s.get_ref().clone()).collect(),
            grow: rs
                .grow
                .iter()
                .map(|s| s.get_ref().trim().to_string())
                .collect(),
            solve_for: rs
                .solve_for
                .as_ref()
                .map(|s| s.get_ref().trim().to_string()),
            evaluate,
        }),
        threshold: None,
        best_constant: None,
        construction: None,
        guards: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[[claim]]
id = "lemma3"
source = "Lemma 3"
text = "x_T >= y (T/t0)^a"
params = ["a in (0, 1/10]", "t0 in 1..=100", "T in t0+1..=1000", "y = 1"]
let = ["x = rec(x, t, t0, T, 0, (1 + a/(0.99*t))*x + y/t)"]
holds = "x >= y*(T/t0)^a"
threshold = "a"

[[claim]]
id = "ch"
source = "eq. (1)"
text = "a chain"
params = ["n in 2..=5"]
chain = ["1/n", "<=", "1/2", "<", "1"]
"#;

    fn err(src: &str) -> LoadError {
        load_str("f.toml", src).unwrap_err()
    }

    fn claim(body: &str) -> String {
        format!("[[claim]]\nid = \"c\"\nsource = \"S\"\ntext = \"t\"\n{body}\n")
    }

    #[test]
    fn loads_the_contract_example() {
        let cs = load_str("f.toml", GOOD).unwrap();
        assert_eq!(cs.len(), 2);
        assert_eq!(cs[0].params.len(), 4);
        assert_eq!(cs[0].threshold.as_deref(), Some("a"));
        assert!(matches!(cs[1].body, Body::Chain { ref rels, .. } if rels.len() == 2));
    }

    #[test]
    fn errors_name_file_claim_line_and_column() {
        let e = err(&claim("params = [\"n in 1..=5\"]\nholds = \"n <= m\""));
        assert_eq!(e.claim.as_deref(), Some("c"));
        assert_eq!((e.line, e.col), (6, 15), "{e}");
        assert!(e.message.contains("unknown name `m`"));
        assert!(e.to_string().starts_with("f.toml:6:15: claim `c`:"), "{e}");

        let e = err(&claim(
            "params = [\"t0 in 1..=T\", \"T in 1..=5\"]\nholds = \"1 <= 2\"",
        ));
        assert!(e.message.contains("declared later"), "{e}");
        assert_eq!((e.line, e.col), (5, 22), "{e}");

        let e = err(&claim("params = [\"n in 5..=1\"]\nholds = \"n <= 1\""));
        assert!(e.message.contains("empty integer range"), "{e}");
        let e = err(&claim("params = [\"a in (1, 1]\"]\nholds = \"a <= 1\""));
        assert!(e.message.contains("empty or inverted"), "{e}");
        let e = err(&claim("params = [\"n in 1..=1/0\"]\nholds = \"n <= 1\""));
        assert!(e.message.contains("division by zero"), "{e}");
        let e = err(&claim("params = [\"n in 1..=3\"]\nholds = \"n <= (1\""));
        assert!(e.message.contains("expected `)`"), "{e}");
        assert_eq!((e.line, e.col), (6, 17), "just after `(1`");
    }

    #[test]
    fn schema_errors() {
        let e = err(&claim("holds = \"1 <= 2\"\nbogus = 1"));
        assert!(e.message.contains("unknown field"), "{e}");
        assert!(e.line > 0);
        let e = err(&claim("params = [\"n in 1..=3\"]"));
        assert!(e.message.contains("needs `holds` or `chain`"));
        let e = err(&claim("chain = [\"1\", \"<=\"]"));
        assert!(e.message.contains("odd number"));
        let e = err(&claim("chain = [\"1\", \"<=\", \"2\", \">=\", \"0\"]"));
        assert!(e.message.contains("mixes"));
        let e = err(&claim("chain = [\"1\", \"<==\", \"2\"]"));
        assert!(e.message.contains("expected a relation"));
        let e = err(&claim(
            "params = [\"n in 1..=3\"]\nholds = \"n <= 3\"\nthreshold = \"m\"",
        ));
        assert!(e.message.contains("threshold `m` is not a parameter"));
        let e = err(&claim(
            "params = [\"n in 1..=3\"]\nholds = \"n <= 3\"\nbest_constant = \"K\"",
        ));
        assert!(e.message.contains("does not occur"));
        let e = err(&claim(
            "params = [\"n in 1..=3\"]\nholds = \"n <= K*3\"\nbest_constant = \"n\"",
        ));
        assert!(e.message.contains("free symbol"));
        let e = err(&claim(
            "params = [\"n in 1..=3\", \"n = 2\"]\nholds = \"n <= 3\"",
        ));
        assert!(e.message.contains("declared twice"));
        let e = err(&claim(
            "params = [\"n in 1..=3\"]\nlet = [\"m = k + 1\", \"k = n\"]\nholds = \"m <= 3\"",
        ));
        assert!(e.message.contains("declared later"), "{e}");
        let e = err("[[claim]]\nid = \"a b\"\nsource = \"S\"\ntext = \"t\"\nholds = \"1 <= 2\"");
        assert!(e.message.contains("claim id"));
        let e = err("x = 1");
        assert!(e.message.contains("unknown field"), "{e}");
        let e = err("");
        assert!(e.message.contains("no [[claim]]"));
        let two = format!(
            "{}{}",
            claim("holds = \"1 <= 2\""),
            claim("holds = \"1 <= 2\"")
        );
        assert!(err(&two).message.contains("duplicate claim id"));
    }

    #[test]
    fn catalogue_loads() {
        let cs = load_catalogue().unwrap();
        assert!(!cs.is_empty());
    }
}

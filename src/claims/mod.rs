//! Claim files: the TOML schema of the Contract (`[[claim]]` tables with `id`, `source`,
//! `text`, ordered `params`, `let`, `holds` or `chain`, optional `threshold` and
//! `best_constant`), loading from files, folders and the catalogue compiled into the binary,
//! and validation. Every error names the file, the claim and the line and column of the
//! offending text. This module parses and checks; it decides nothing.

use crate::construction::{Quantity, Spec};
use crate::expr::{self, DomainSpec, Expr, Rel, Relation};
use rug::Rational;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

mod builder;
mod raw;
mod symbolic;
mod validate;

pub use crate::source::{MAX_INPUT_BYTES, one_line, raw_offset, read_text};
pub use builder::{BUILDER_FILE, ClaimBuilder};
use raw::{Ctx, RawFile, Shared};
use symbolic::validate_symbolic;
use validate::{construction_spec, validate};

/// A claim file that could not be loaded: where and why (the crate's one source-position
/// error type).
pub type LoadError = crate::source::SourceError;

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
    /// constraints between the parameters (`where = ["x + y <= 1"]`), with their text: the
    /// domain is the set of points of the parameters' ranges where every one holds
    pub constraints: Vec<(String, Relation)>,
}

impl Claim {
    /// `e` with every definition of the claim written out (latest first, so definitions
    /// that use earlier ones are expanded too); `None` when the result would be too large.
    pub fn inline_lets(&self, e: &Expr) -> Option<Expr> {
        let mut e = e.clone();
        for d in self.lets.iter().rev() {
            e = e.substitute_checked(&d.name, &d.expr).ok()?;
        }
        Some(e)
    }
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

/// Loads and validates every claim in one file's text.
pub fn load_str(file: &str, text: &str) -> Result<Vec<Claim>, LoadError> {
    load_sources(&[(file.to_string(), text.to_string())])
}

/// The `[paper]` table of a load: the paper the claims are about, for the report's title
/// and header and every JSON document. At most one per load (the same table may repeat in
/// several files only word for word).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Paper {
    /// the full title
    pub title: String,
    /// a short title for headings (default: the title)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short_title: Option<String>,
    /// the authors, in order
    pub authors: Vec<String>,
    /// year of publication
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<i64>,
    /// venue (journal, conference, "preprint")
    #[serde(skip_serializing_if = "Option::is_none")]
    pub venue: Option<String>,
    /// arXiv identifier (`1509.01240`)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arxiv: Option<String>,
    /// DOI (`10.xxxx/...`)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doi: Option<String>,
    /// a web address
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// anything else a reader should know (status, version of the paper audited)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// works the claims compare against, each as a full citation
    pub references: Vec<String>,
}

impl Paper {
    /// The heading form of the title.
    pub fn short(&self) -> &str {
        self.short_title.as_deref().unwrap_or(&self.title)
    }

    /// One-line citation: `"Title", A, B and C, venue year (arXiv:..., doi:...)`.
    pub fn citation(&self) -> String {
        let mut s = format!("\"{}\"", self.title);
        if !self.authors.is_empty() {
            let n = self.authors.len();
            let names = if n == 1 {
                self.authors[0].clone()
            } else {
                format!(
                    "{} and {}",
                    self.authors[..n - 1].join(", "),
                    self.authors[n - 1]
                )
            };
            s.push_str(&format!(", {names}"));
        }
        let when: Vec<String> = self
            .venue
            .iter()
            .cloned()
            .chain(self.year.map(|y| y.to_string()))
            .collect();
        if !when.is_empty() {
            s.push_str(&format!(", {}", when.join(" ")));
        }
        let ids: Vec<String> = self
            .arxiv
            .iter()
            .map(|a| format!("arXiv:{a}"))
            .chain(self.doi.iter().map(|d| format!("doi:{d}")))
            .chain(self.url.iter().cloned())
            .collect();
        if !ids.is_empty() {
            s.push_str(&format!(" ({})", ids.join(", ")));
        }
        if let Some(n) = &self.note {
            s.push_str(&format!("; {n}"));
        }
        s
    }
}

/// A claim file as loaded: its name and the SHA-256 of its bytes (reports cite both, so
/// that a reader knows exactly which claims were decided).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SourceFile {
    /// the path (or `<catalogue>/NAME` for the catalogue compiled into the binary)
    pub name: String,
    /// lowercase hexadecimal SHA-256 of the file's bytes
    pub sha256: String,
    /// its size in bytes
    pub bytes: usize,
}

/// Claims with what the files say about them: the result of loading a set of claim files.
#[derive(Clone, Debug)]
pub struct Catalogue {
    /// every claim, in file order
    pub claims: Vec<Claim>,
    /// the `[paper]` table, if a file has one
    pub paper: Option<Paper>,
    /// the files, in load order
    pub files: Vec<SourceFile>,
    /// the constructions of every file, in file order
    pub constructions: Vec<NamedConstruction>,
}

/// A construction of a claim file: the quadratic family, or one given by its loss.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // few per load, cloned rarely
pub enum ConstructionSpec {
    /// `loss = "quadratic"`: the closed forms of [`crate::construction`]
    Quadratic(Spec),
    /// `loss = "<expression>"`: the exact law propagated by [`crate::propagate`]
    Loss(std::sync::Arc<LossEntry>),
}

/// A construction given by its loss, with its registered quantities.
#[derive(Clone, Debug)]
pub struct LossEntry {
    /// the construction
    pub spec: crate::propagate::LossSpec,
    /// its quantities (opaque calls) with their guards
    pub quantities: Vec<Quantity>,
}

impl ConstructionSpec {
    /// The quantities claims may use.
    pub fn quantities(&self) -> Vec<Quantity> {
        match self {
            ConstructionSpec::Quadratic(s) => s.quantities(),
            ConstructionSpec::Loss(l) => l.quantities.clone(),
        }
    }
}

/// A `[[construction]]` table of a load, with the file it came from.
#[derive(Clone, Debug)]
pub struct NamedConstruction {
    /// its id
    pub id: String,
    /// the file that declares it
    pub file: String,
    /// what it is
    pub spec: ConstructionSpec,
}

/// Lowercase hexadecimal SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Loads several files as one catalogue: constructions and definitions of any file are
/// visible to the claims of every file; claim ids are unique across all of them.
pub fn load_sources(sources: &[(String, String)]) -> Result<Vec<Claim>, LoadError> {
    load_catalogue_sources(sources).map(|c| c.claims)
}

fn paper_of(ctx: &Ctx, rp: &Spanned<raw::RawPaper>) -> Result<Paper, LoadError> {
    let rp = rp.get_ref();
    let title = rp.title.get_ref().trim().to_string();
    if title.is_empty() {
        return Err(ctx.at(rp.title.span().start, "the paper's title is empty"));
    }
    if let Some(y) = &rp.year
        && !(1000..=9999).contains(y.get_ref())
    {
        return Err(ctx.at(y.span().start, "year must be a four-digit number"));
    }
    Ok(Paper {
        title,
        short_title: rp
            .short_title
            .as_ref()
            .map(|s| s.get_ref().trim().to_string()),
        authors: rp.authors.clone(),
        year: rp.year.as_ref().map(|y| *y.get_ref()),
        venue: rp.venue.clone(),
        arxiv: rp.arxiv.clone(),
        doi: rp.doi.clone(),
        url: rp.url.clone(),
        note: rp.note.clone(),
        references: rp.references.clone(),
    })
}

/// [`load_sources`] with the `[paper]` table, the files' hashes and the constructions.
pub fn load_catalogue_sources(sources: &[(String, String)]) -> Result<Catalogue, LoadError> {
    let mut raws = Vec::new();
    let mut shared = Shared::default();
    let mut total = 0usize;
    let mut paper: Option<Paper> = None;
    let mut constructions = Vec::new();
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
        shared_tables(&mut ctx, &raw, &mut shared)?;
        for rc in &raw.construction {
            let id = rc.get_ref().id.get_ref().trim().to_string();
            if let Some(spec) = shared.constructions.get(&id) {
                constructions.push(NamedConstruction {
                    id,
                    file: file.clone(),
                    spec: spec.clone(),
                });
            }
        }
        if let Some(rp) = &raw.paper {
            let p = paper_of(&ctx, rp)?;
            match &paper {
                Some(prev) if *prev != p => {
                    return Err(ctx.at(
                        rp.span().start,
                        "a second, different [paper] table (one paper per set of claim files)",
                    ));
                }
                _ => paper = Some(p),
            }
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
            && raw.paper.is_none()
        {
            return Err(ctx.at(
                0,
                "no [[claim]], [[construction]], [[definition]], [[symbolic]] or [paper] tables in this file",
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
    let files = sources
        .iter()
        .map(|(name, text)| SourceFile {
            name: name.clone(),
            sha256: sha256_hex(text.as_bytes()),
            bytes: text.len(),
        })
        .collect();
    Ok(Catalogue {
        claims: out,
        paper,
        files,
        constructions,
    })
}

/// The `[[construction]]` and `[[definition]]` tables of one file, added to what every
/// claim of the load may use (ids and names unique across files).
fn shared_tables(ctx: &mut Ctx, raw: &RawFile, shared: &mut Shared) -> Result<(), LoadError> {
    for rc in &raw.construction {
        let rc = rc.get_ref();
        ctx.claim = Some(rc.id.get_ref().clone());
        let spec = construction_spec(ctx, rc)?;
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
        if !expr::is_valid_name(&name) {
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
    Ok(())
}

/// Loads a claim file or every `*.toml` file of a folder (sorted by name).
pub fn load_path(path: &Path) -> Result<Vec<Claim>, LoadError> {
    load_sources(&read_path(path)?)
}

/// The name ending of plot files (`stabcert audit --plots`), which a folder of claim files
/// may hold: loading the folder skips them.
pub const PLOT_FILE_SUFFIX: &str = ".plots.toml";

/// The (name, text) of a claim file, or of every `*.toml` file of a folder (but plot files).
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
            // plot files (`NAME.plots.toml`) may sit beside the claims they draw
            let plot_file = p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with(PLOT_FILE_SUFFIX));
            if p.extension().is_some_and(|x| x == "toml") && !plot_file {
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
pub fn load_constructions(
    file: &str,
    text: &str,
) -> Result<Vec<(String, ConstructionSpec)>, LoadError> {
    let mut ctx = Ctx {
        file,
        text,
        claim: None,
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let off = e.span().map_or(0, |s| s.start);
        ctx.at(off, e.message().to_string())
    })?;
    let mut out: Vec<(String, ConstructionSpec)> = Vec::new();
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
pub fn catalogue_constructions() -> Result<Vec<(String, ConstructionSpec)>, LoadError> {
    let mut out = Vec::new();
    for (name, text) in CATALOGUE {
        out.extend(load_constructions(&format!("<catalogue>/{name}"), text)?);
    }
    Ok(out)
}

/// Loads the catalogue compiled into the binary.
pub fn load_catalogue() -> Result<Vec<Claim>, LoadError> {
    builtin_catalogue().map(|c| c.claims)
}

/// The catalogue compiled into the binary, with its `[paper]` table and file hashes.
pub fn builtin_catalogue() -> Result<Catalogue, LoadError> {
    let sources: Vec<(String, String)> = CATALOGUE
        .iter()
        .map(|(name, text)| (format!("<catalogue>/{name}"), text.to_string()))
        .collect();
    load_catalogue_sources(&sources)
}

/// Every claim file of `paths` (files, or the `*.toml` files of folders) as one catalogue.
pub fn load_paths_catalogue(paths: &[PathBuf]) -> Result<Catalogue, LoadError> {
    let mut sources = Vec::new();
    for p in paths {
        sources.extend(read_path(p)?);
    }
    load_catalogue_sources(&sources)
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

//! Claims built in Rust: [`ClaimBuilder`] states parameters, definitions, the relation and
//! the searches in the claim language and validates them exactly as the loader validates a
//! `[[claim]]` table, without any TOML text.

use super::raw::{Ctx, RawClaim, Shared};
use super::validate::validate;
use super::{Claim, LoadError};
use toml::Spanned;

/// Builds one claim in Rust. Each formula is written in the claim language (the same text a
/// claim file holds); [`build`](ClaimBuilder::build) runs the checks of the loader, so a
/// built claim is exactly what a claim file with the same entries gives. Errors are
/// [`LoadError`]s for the file `<builder>`, with the claim's id and no line or column.
///
/// ```
/// use stabcert::claims::ClaimBuilder;
/// use stabcert::decide::{Options, Verdict, decide};
///
/// let claim = ClaimBuilder::new("bernoulli")
///     .source("Bernoulli's inequality")
///     .param("n in 1..=20")
///     .param("x in [0, 1]")
///     .holds("(1 + x)^n >= 1 + n*x")
///     .build()?;
/// let outcome = &decide(&claim, &Options::default())[0];
/// assert_eq!(outcome.verdict, Verdict::Certified);
///
/// // a claim that names an unknown parameter is refused, like in a file
/// let bad = ClaimBuilder::new("bad").param("n in 1..=3").holds("n <= m").build();
/// assert!(bad.unwrap_err().message.contains("unknown name `m`"));
/// # Ok::<(), stabcert::claims::LoadError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct ClaimBuilder {
    id: String,
    source: String,
    text: String,
    params: Vec<String>,
    lets: Vec<String>,
    holds: Option<String>,
    chain: Option<Vec<String>>,
    threshold: Option<String>,
    best_constant: Option<String>,
    constraints: Vec<String>,
}

impl ClaimBuilder {
    /// A claim with this id (source and text default to the id).
    pub fn new(id: impl Into<String>) -> Self {
        let id = id.into();
        ClaimBuilder {
            source: id.clone(),
            text: id.clone(),
            id,
            ..ClaimBuilder::default()
        }
    }

    /// The paper's label (`Lemma 3`).
    pub fn source(mut self, s: impl Into<String>) -> Self {
        self.source = s.into();
        self
    }

    /// The paper's wording.
    pub fn text(mut self, s: impl Into<String>) -> Self {
        self.text = s.into();
        self
    }

    /// A parameter and its domain, after the earlier ones: `"n in 1..=100"`,
    /// `"a in (0, 1/2]"`, `"T in n..=10^6 sample 50"`, `"k in {1, 2, 4}"`, `"y = 1"`.
    pub fn param(mut self, spec: impl Into<String>) -> Self {
        self.params.push(spec.into());
        self
    }

    /// A definition, after the earlier ones: `"x = rec(x, t, 1, T, 0, x + 1/t)"`.
    pub fn define(mut self, def: impl Into<String>) -> Self {
        self.lets.push(def.into());
        self
    }

    /// The relation claimed: `"lhs REL rhs"` (replaces a chain).
    pub fn holds(mut self, relation: impl Into<String>) -> Self {
        self.holds = Some(relation.into());
        self.chain = None;
        self
    }

    /// A chain `E1 REL E2 REL E3 ...`, given as its entries (replaces `holds`).
    pub fn chain<S: Into<String>>(mut self, entries: impl IntoIterator<Item = S>) -> Self {
        self.chain = Some(entries.into_iter().map(Into::into).collect());
        self.holds = None;
        self
    }

    /// A constraint between the parameters (`where` in a file): `"x + y <= 1"`.
    pub fn constraint(mut self, relation: impl Into<String>) -> Self {
        self.constraints.push(relation.into());
        self
    }

    /// Search the threshold of this parameter.
    pub fn threshold(mut self, param: impl Into<String>) -> Self {
        self.threshold = Some(param.into());
        self
    }

    /// Search the best value of this free constant of the relation.
    pub fn best_constant(mut self, constant: impl Into<String>) -> Self {
        self.best_constant = Some(constant.into());
        self
    }

    /// The validated claim.
    pub fn build(self) -> Result<Claim, LoadError> {
        let at = |v: String| Spanned::new(0..0, v);
        let raw = RawClaim {
            id: at(self.id.clone()),
            source: at(self.source),
            text: at(self.text),
            params: self.params.into_iter().map(at).collect(),
            lets: self.lets.into_iter().map(at).collect(),
            holds: self.holds.map(at),
            chain: self
                .chain
                .map(|c| Spanned::new(0..0, c.into_iter().map(at).collect())),
            threshold: self.threshold.map(at),
            best_constant: self.best_constant.map(at),
            construction: None,
            constraints: self.constraints.into_iter().map(at).collect(),
        };
        let ctx = Ctx {
            file: BUILDER_FILE,
            text: "",
            claim: Some(self.id),
        };
        validate(&ctx, &raw, &Shared::default()).map_err(|e| LoadError {
            line: 0,
            col: 0,
            ..e
        })
    }
}

/// The file name a built claim reports.
pub const BUILDER_FILE: &str = "<builder>";

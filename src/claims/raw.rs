//! The TOML schema of claim files as serde types (every value spanned, so that errors
//! name their line and column), and the context that turns a span into a [`LoadError`].

use super::{ConstructionSpec, Definition, LoadError};
use crate::expr;
use crate::source::raw_offset;
use serde::Deserialize;
use std::collections::HashMap;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFile {
    #[serde(default)]
    pub(super) claim: Vec<Spanned<RawClaim>>,
    #[serde(default)]
    pub(super) construction: Vec<Spanned<RawConstruction>>,
    #[serde(default)]
    pub(super) definition: Vec<Spanned<RawDefinition>>,
    #[serde(default)]
    pub(super) symbolic: Vec<Spanned<RawSymbolic>>,
    pub(super) paper: Option<Spanned<RawPaper>>,
}

/// The `[paper]` table: what the claims are about (the report's title and header).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPaper {
    pub(super) title: Spanned<String>,
    pub(super) short_title: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) authors: Vec<String>,
    pub(super) year: Option<Spanned<i64>>,
    pub(super) venue: Option<String>,
    pub(super) arxiv: Option<String>,
    pub(super) doi: Option<String>,
    pub(super) url: Option<String>,
    pub(super) note: Option<String>,
    #[serde(default)]
    pub(super) references: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSymbolic {
    pub(super) id: Spanned<String>,
    pub(super) source: Spanned<String>,
    pub(super) text: Spanned<String>,
    pub(super) op: Spanned<String>,
    pub(super) a: Spanned<String>,
    pub(super) b: Spanned<String>,
    pub(super) claimed: Spanned<String>,
    #[serde(default)]
    pub(super) assume: Vec<Spanned<String>>,
    #[serde(default, rename = "let")]
    pub(super) lets: Vec<Spanned<String>>,
    #[serde(default, rename = "as")]
    pub(super) grow: Vec<Spanned<String>>,
    pub(super) solve_for: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) evaluate: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDefinition {
    pub(super) name: Spanned<String>,
    pub(super) source: Spanned<String>,
    pub(super) text: Spanned<String>,
    pub(super) expr: Spanned<String>,
}

/// A list of strings with its span.
pub(super) type RawList = Spanned<Vec<Spanned<String>>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // `source` and `text` document the construction; required, not read
pub(super) struct RawConstruction {
    pub(super) id: Spanned<String>,
    pub(super) source: Spanned<String>,
    pub(super) text: Spanned<String>,
    pub(super) loss: Spanned<String>,
    // the quadratic family
    pub(super) eigenvalue: Option<Spanned<String>>,
    pub(super) x: Option<Spanned<String>>,
    pub(super) x_twin: Option<Spanned<String>>,
    pub(super) y: Option<Spanned<String>>,
    pub(super) y_twin: Option<Spanned<String>>,
    // a construction given by its loss
    pub(super) weights: Option<RawList>,
    pub(super) fields: Option<RawList>,
    pub(super) s: Option<Spanned<Vec<RawList>>>,
    pub(super) s_twin: Option<Spanned<Vec<RawList>>>,
    pub(super) start: Option<RawList>,
    pub(super) max_states: Option<Spanned<u64>>,
    pub(super) max_seconds: Option<Spanned<u64>>,
    // both
    pub(super) step: Spanned<String>,
    pub(super) first_step: Option<Spanned<String>>,
    pub(super) sampling: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawClaim {
    pub(super) id: Spanned<String>,
    pub(super) source: Spanned<String>,
    pub(super) text: Spanned<String>,
    #[serde(default)]
    pub(super) params: Vec<Spanned<String>>,
    #[serde(default, rename = "let")]
    pub(super) lets: Vec<Spanned<String>>,
    pub(super) holds: Option<Spanned<String>>,
    pub(super) chain: Option<Spanned<Vec<Spanned<String>>>>,
    pub(super) threshold: Option<Spanned<String>>,
    pub(super) best_constant: Option<Spanned<String>>,
    pub(super) construction: Option<Spanned<String>>,
    #[serde(default, rename = "where")]
    pub(super) constraints: Vec<Spanned<String>>,
}

pub(super) struct Ctx<'a> {
    pub(super) file: &'a str,
    pub(super) text: &'a str,
    pub(super) claim: Option<String>,
}

impl Ctx<'_> {
    pub(super) fn at(&self, offset: usize, message: impl Into<String>) -> LoadError {
        LoadError {
            claim: self.claim.clone(),
            ..LoadError::at(self.file, self.text, offset, message)
        }
    }

    /// Byte offset in the file of byte `inner` of the string value `s`.
    pub(super) fn inner(&self, s: &Spanned<String>, inner: usize) -> usize {
        raw_offset(self.text, s.span().start, inner)
    }

    pub(super) fn parse_err(&self, s: &Spanned<String>, e: expr::ParseError) -> LoadError {
        self.at(self.inner(s, e.offset), e.message)
    }
}

/// Constructions and definitions visible to every claim of one load.
#[derive(Clone, Debug, Default)]
pub(super) struct Shared {
    pub(super) constructions: HashMap<String, ConstructionSpec>,
    pub(super) definitions: Vec<Definition>,
}

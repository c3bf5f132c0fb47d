//! The TOML schema of simulate configs as serde types, every value spanned.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// A number or a string (exact expression) in the config.
#[derive(Deserialize, Clone, Debug)]
#[serde(untagged)]
pub(super) enum NumOrStr {
    Int(i64),
    Float(f64),
    Str(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub(super) seed: Option<Spanned<i64>>,
    pub(super) replicas: Option<Spanned<i64>>,
    pub(super) steps: Spanned<i64>,
    pub(super) checkpoints: Option<Spanned<Vec<i64>>>,
    pub(super) probe: Option<Spanned<i64>>,
    pub(super) first_step: Option<Spanned<i64>>,
    pub(super) full_twin: Option<Spanned<bool>>,
    pub(super) data: Spanned<RawData>,
    pub(super) model: Option<Spanned<RawModel>>,
    #[serde(default)]
    pub(super) twin: Option<Spanned<RawTwin>>,
    pub(super) sgd: Option<Spanned<RawSgd>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawData {
    pub(super) source: Spanned<String>,
    pub(super) n: Option<Spanned<i64>>,
    pub(super) d: Option<Spanned<i64>>,
    pub(super) noise: Option<Spanned<f64>>,
    pub(super) classes: Option<Spanned<i64>>,
    pub(super) seed: Option<Spanned<i64>>,
    pub(super) standardise: Option<bool>,
    pub(super) file: Option<Spanned<String>>,
    pub(super) target: Option<Spanned<String>>,
    pub(super) targets: Option<Spanned<String>>,
    pub(super) id: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) params: BTreeMap<String, Spanned<NumOrStr>>,
    pub(super) dim: Option<Spanned<i64>>,
    pub(super) others: Option<Spanned<Vec<f64>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawModel {
    pub(super) loss: Spanned<String>,
    pub(super) input_dim: Option<Spanned<i64>>,
    pub(super) hidden: Option<Spanned<i64>>,
    pub(super) activation: Option<Spanned<String>>,
    pub(super) classes: Option<Spanned<i64>>,
    pub(super) spectrum: Option<Spanned<Vec<f64>>>,
    pub(super) eigenvectors: Option<Spanned<String>>,
    pub(super) seed: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTwin {
    pub(super) kind: Option<Spanned<String>>,
    pub(super) index: Option<Spanned<i64>>,
    pub(super) duplicate: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSgd {
    pub(super) step: Option<Spanned<NumOrStr>>,
    #[serde(default)]
    pub(super) params: BTreeMap<String, Spanned<NumOrStr>>,
    pub(super) momentum: Option<Spanned<f64>>,
    pub(super) batch: Option<Spanned<i64>>,
    pub(super) sampling: Option<Spanned<String>>,
    pub(super) init: Option<Spanned<NumOrStr>>,
}

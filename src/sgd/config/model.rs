//! The `[data]` and `[model]` tables of a simulate config: the dataset (synthetic, built in,
//! or read from a file) with its replacement example, and the loss.

use super::*;

pub(super) fn load_data(
    ctx: &Ctx,
    d: &RawData,
    model: &RawModel,
) -> Result<(Data, Option<Twin>), ConfigError> {
    let source = d.source.get_ref().trim();
    let loss = model.loss.get_ref().trim();
    let full = match source {
        "synthetic" => {
            let n = match &d.n {
                Some(n) => ctx.count(n, "n", 2, 10_000_000)?,
                None => return Err(ctx.err(d.source.span(), "synthetic data needs n")),
            };
            let dd = match &d.d {
                Some(v) => ctx.count(v, "d", 1, 100_000)?,
                None => return Err(ctx.err(d.source.span(), "synthetic data needs d")),
            };
            if n.saturating_mul(dd) > 200_000_000 {
                return Err(ctx.err(d.source.span(), "n * d above 2e8: too large"));
            }
            let kind = match loss {
                "linear" | "quadratic" => "linear",
                "logistic" => "logistic",
                _ => "classes",
            };
            let classes = match &d.classes {
                Some(c) => ctx.count(c, "classes", 2, 1000)?,
                None => 2,
            };
            let noise = d.noise.as_ref().map_or(0.1, |v| *v.get_ref());
            let seed = match &d.seed {
                Some(s) => ctx.count(s, "data seed", 0, i64::MAX)? as u64,
                None => 0,
            };
            data::synthetic(kind, n, dd, classes, noise, seed)
        }
        "iris" | "winequality" | "diabetes" => {
            let full = data::real(source, d.standardise.unwrap_or(true)).expect("known name");
            let n = match &d.n {
                Some(v) => ctx.count(v, "n", 2, full.n() as i64 - 1)?,
                None => full.n() - 1,
            };
            Data {
                x: full.x.slice(ndarray::s![..n + 1, ..]).to_owned(),
                y: full.y.slice(ndarray::s![..n + 1]).to_owned(),
            }
        }
        other => {
            return Err(ctx.err(
                d.source.span(),
                format!("unknown data source `{other}`: synthetic, iris, winequality, diabetes or construction"),
            ));
        }
    };
    // the last example is the replacement of a `replace` twin
    let (data, twin) = data::split_last(full);
    Ok((data, Some(twin)))
}

pub(super) fn build_model(
    ctx: &Ctx,
    m: &Spanned<RawModel>,
    data: &Data,
) -> Result<Model, ConfigError> {
    let raw = m.get_ref();
    let d = data.d();
    if let Some(i) = &raw.input_dim
        && *i.get_ref() != d as i64
    {
        return Err(ctx.err(
            i.span(),
            format!(
                "input_dim = {} but the data have d = {d} features",
                i.get_ref()
            ),
        ));
    }
    let labels_are = |ok: &dyn Fn(f64) -> bool| data.y.iter().all(|&y| ok(y));
    let model = match raw.loss.get_ref().trim() {
        "linear" => Model::Linear { d },
        "logistic" => {
            if !labels_are(&|y| y == 1.0 || y == -1.0) {
                return Err(ctx.err(
                    raw.loss.span(),
                    "logistic regression needs labels -1 and +1; these data are not binary (use loss = \"mlp\" for classes)",
                ));
            }
            Model::Logistic { d }
        }
        "mlp" => {
            if !labels_are(&|y| y >= 0.0 && y.fract() == 0.0 && y < 1e6) {
                return Err(ctx.err(
                    raw.loss.span(),
                    "the MLP needs class labels 0, 1, ..; these data are a regression target",
                ));
            }
            let seen = data.y.iter().cloned().fold(0.0, f64::max) as usize + 1;
            let classes = match &raw.classes {
                Some(c) => {
                    let k = ctx.count(c, "classes", 2, 100_000)?;
                    if k < seen {
                        return Err(ctx.err(
                            c.span(),
                            format!("classes = {k} but the data have labels up to {}", seen - 1),
                        ));
                    }
                    k
                }
                None => seen.max(2),
            };
            let hidden = match &raw.hidden {
                Some(h) => ctx.count(h, "hidden", 1, 100_000)?,
                None => 32,
            };
            let act = match &raw.activation {
                Some(a) => Activation::parse(a.get_ref())
                    .ok_or_else(|| ctx.err(a.span(), "activation is \"tanh\" or \"relu\""))?,
                None => Activation::Tanh,
            };
            Model::Mlp {
                d,
                hidden,
                classes,
                act,
            }
        }
        "quadratic" => {
            let spec = raw.spectrum.as_ref().ok_or_else(|| {
                ctx.err(
                    raw.loss.span(),
                    "the quadratic loss needs spectrum = [eigenvalues of A]",
                )
            })?;
            if spec.get_ref().len() != d {
                return Err(ctx.err(
                    spec.span(),
                    format!(
                        "spectrum has {} eigenvalues but the data have d = {d}",
                        spec.get_ref().len()
                    ),
                ));
            }
            let q = match raw
                .eigenvectors
                .as_ref()
                .map(|e| (e.get_ref().trim(), e.span()))
            {
                None | Some(("random", _)) => {
                    let seed = match &raw.seed {
                        Some(s) => ctx.count(s, "model seed", 0, i64::MAX)? as u64,
                        None => 0,
                    };
                    let mut rng =
                        <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(seed);
                    rng.set_stream(0xe16e);
                    data::random_orthogonal(d, &mut rng)
                }
                Some(("identity", _)) => Array2::eye(d),
                Some((_, span)) => {
                    return Err(ctx.err(span, "eigenvectors is \"random\" or \"identity\""));
                }
            };
            Model::Quadratic {
                a: data::matrix_from_spectrum(&q, spec.get_ref()),
            }
        }
        other => {
            return Err(ctx.err(
                raw.loss.span(),
                format!("unknown loss `{other}`: quadratic, linear, logistic or mlp"),
            ));
        }
    };
    Ok(model)
}

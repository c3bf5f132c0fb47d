//! The `[data]` and `[model]` tables of a simulate config: the dataset (synthetic, built in,
//! or read from a file) with its replacement example, and the loss.

use super::*;
use std::path::PathBuf;

/// A data file named by `[data] file` (or `targets`), relative to the config's folder.
fn data_file(ctx: &Ctx, f: &Spanned<String>, dir: Option<&Path>) -> Result<PathBuf, ConfigError> {
    let p = Path::new(f.get_ref());
    let p = match dir {
        Some(dir) if p.is_relative() => dir.join(p),
        _ => p.to_path_buf(),
    };
    if !p.is_file() {
        return Err(ctx.err(f.span(), format!("{}: no such file", p.display())));
    }
    Ok(p)
}

/// The user's data: `source = "csv"` or `"npy"`.
fn file_data(
    ctx: &Ctx,
    d: &RawData,
    source: &str,
    dir: Option<&Path>,
) -> Result<Data, ConfigError> {
    let f = d
        .file
        .as_ref()
        .ok_or_else(|| ctx.err(d.source.span(), format!("{source} data needs `file`")))?;
    let path = data_file(ctx, f, dir)?;
    let at = |e: data::FileError| ctx.err(f.span(), format!("{}: {}", path.display(), e.0));
    let io = |p: &Path, e: std::io::Error| ctx.err(f.span(), format!("{}: {e}", p.display()));
    if source == "csv" {
        if let Some(t) = &d.targets {
            return Err(ctx.err(t.span(), "csv data name their target column with `target`"));
        }
        let text = crate::source::read_text(&path).map_err(|e| io(&path, e))?;
        data::csv(&text, d.target.as_ref().map(|t| t.get_ref().as_str())).map_err(at)
    } else {
        if let Some(t) = &d.target {
            return Err(ctx.err(
                t.span(),
                "npy data take their targets from `targets` (a file) or the last column",
            ));
        }
        let read = |p: &Path| std::fs::read(p).map_err(|e| io(p, e));
        let x = data::npy(&read(&path)?).map_err(at)?;
        let y = match &d.targets {
            Some(t) => {
                let tp = data_file(ctx, t, dir)?;
                Some(
                    data::npy(&read(&tp)?)
                        .map_err(|e| ctx.err(t.span(), format!("{}: {}", tp.display(), e.0)))?,
                )
            }
            None => None,
        };
        data::from_npy(x, y).map_err(at)
    }
}

pub(super) fn load_data(
    ctx: &Ctx,
    d: &RawData,
    model: &RawModel,
    dir: Option<&Path>,
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
        "csv" | "npy" => {
            let mut full = file_data(ctx, d, source, dir)?;
            if full.n() < 3 {
                return Err(ctx.err(
                    d.source.span(),
                    format!("{} examples: at least 3 are needed (S has n >= 2, and the last one is the twin's replacement)", full.n()),
                ));
            }
            if d.standardise.unwrap_or(false) {
                for mut col in full.x.columns_mut() {
                    let (m, s) = data::mean_sd(col.iter().copied());
                    col.mapv_inplace(|v| if s > 0.0 { (v - m) / s } else { v - m });
                }
            }
            match &d.n {
                Some(v) => {
                    let n = ctx.count(v, "n", 2, full.n() as i64 - 1)?;
                    Data {
                        x: full.x.slice(ndarray::s![..n + 1, ..]).to_owned(),
                        y: full.y.slice(ndarray::s![..n + 1]).to_owned(),
                    }
                }
                None => full,
            }
        }
        other => {
            return Err(ctx.err(
                d.source.span(),
                format!("unknown data source `{other}`: synthetic, iris, winequality, diabetes, csv, npy or construction"),
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

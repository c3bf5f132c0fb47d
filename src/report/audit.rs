//! The audit report: `report.md`, `report.html` (one self-contained file, inline SVG),
//! `results.json` and `plots/*.svg`, all from one [`Audit`]. Nothing here computes a
//! result; the same audit gives the same bytes (no dates or timings are written).

use crate::audit::Audit;
use crate::decide::{Outcome, Verdict};
use crate::engine::exact::approx;
use crate::svg::esc;
use std::fmt::Write;
use std::path::Path;

/// A piece of the report, rendered to Markdown and HTML alike.
enum Block {
    H1(String),
    H2(String),
    P(String),
    Table(Vec<String>, Vec<Vec<String>>),
    Plot(String, String),
}

/// One row of the summary: a result of the paper (a claim family).
struct Row {
    result: String,
    source: String,
    verdicts: String,
    evidence: String,
    needs: String,
}

fn family(id: &str) -> &str {
    id.split('.').next().unwrap_or(id)
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

fn needs(o: &Outcome) -> Option<String> {
    let b = o.threshold.as_ref().or(o.best_constant.as_ref())?;
    Some(format!(
        "{} in [{}, {}] ({})",
        b.param,
        approx(&b.lo, 8),
        approx(&b.hi, 8),
        clip(&b.meaning, 140)
    ))
}

fn summary_rows(a: &Audit) -> Vec<Row> {
    let mut families: Vec<&str> = Vec::new();
    for o in &a.outcomes {
        let f = family(&o.id);
        if !families.contains(&f) {
            families.push(f);
        }
    }
    // lemmas, theorems, observations, tables, then the rest; by number within each
    let key = |f: &&str| {
        let letters: String = f.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        let rank = ["lemma", "thm", "obs", "table"]
            .iter()
            .position(|p| *p == letters)
            .unwrap_or(4);
        let num: String = f[letters.len()..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        (rank, num.parse::<u32>().unwrap_or(0), f.to_string())
    };
    families.sort_by_key(key);
    families
        .into_iter()
        .map(|f| {
            let group: Vec<&Outcome> = a.outcomes.iter().filter(|o| family(&o.id) == f).collect();
            let count = |v: Verdict| group.iter().filter(|o| o.verdict == v).count();
            let verdicts = [
                Verdict::Certified,
                Verdict::Refuted,
                Verdict::NoCounterexample,
                Verdict::Undecided,
            ]
            .iter()
            .filter(|v| count(**v) > 0)
            .map(|v| format!("{} {}", count(*v), v.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
            let head = group
                .iter()
                .find(|o| o.verdict == Verdict::Refuted)
                .or_else(|| group.iter().find(|o| o.verdict == Verdict::Undecided))
                .or(group.first())
                .copied()
                .expect("nonempty group");
            let needs = group
                .iter()
                .filter(|o| o.verdict != Verdict::Certified || o.best_constant.is_some())
                .find_map(|o| needs(o).map(|n| format!("{}: {n}", o.id)))
                .unwrap_or_else(|| {
                    if group.iter().all(|o| o.verdict == Verdict::Certified) {
                        "holds as stated on the checked domain".into()
                    } else if group.iter().any(|o| o.verdict == Verdict::Refuted) {
                        format!(
                            "{}: not as stated; no repair searched (see the counterexample)",
                            head.id
                        )
                    } else {
                        "more evidence (sampled or undecided)".into()
                    }
                });
            Row {
                result: f.to_string(),
                source: clip(&head.source, 60),
                verdicts,
                evidence: format!("{}: {}", head.id, clip(&super::evidence(head), 200)),
                needs,
            }
        })
        .collect()
}

fn blocks(a: &Audit) -> Vec<Block> {
    let mut b = Vec::new();
    let q = a.options.quick;
    b.push(Block::H1("stabcert audit: Revisiting SGD stability".into()));
    let total = a.outcomes.len();
    let count = |v: Verdict| a.outcomes.iter().filter(|o| o.verdict == v).count();
    b.push(Block::P(format!(
        "{total} relations of {} claims: {} certified, {} refuted, {} no-counterexample, {} undecided; {}. Seed {}{}. Paper: \"Revisiting SGD stability\"; reference: Hardt, Recht and Singer, \"Train faster, generalize better: stability of stochastic gradient descent\", ICML 2016 (arXiv:1509.01240).",
        a.claims.len(),
        count(Verdict::Certified),
        count(Verdict::Refuted),
        count(Verdict::NoCounterexample),
        count(Verdict::Undecided),
        a.coq_summary,
        a.options.seed,
        if q {
            " (--quick: at most 100 points and 0.5 s per claim, no coqc, small experiments; not the audit's verdicts)"
        } else {
            ""
        }
    )));
    b.push(Block::H2("Summary".into()));
    b.push(Block::Table(
        vec![
            "result".into(),
            "source".into(),
            "verdicts".into(),
            "evidence".into(),
            "what the statement would need".into(),
        ],
        summary_rows(a)
            .into_iter()
            .map(|r| vec![r.result, r.source, r.verdicts, r.evidence, r.needs])
            .collect(),
    ));
    b.push(Block::H2("Constructions against the bounds".into()));
    b.push(Block::P("Exact E||w_T - w'_T|| of each construction, derived from the SGD update and evaluated by the engines, beside the paper's bounds and Hardt et al.'s (log-log).".into()));
    for p in a.plots.iter().filter(|p| p.kind == "curve") {
        b.push(Block::Plot(p.id.clone(), p.svg.clone()));
    }
    b.push(Block::H2(
        "Where Theorem 4 beats Hardt et al.'s Theorem 3.12".into(),
    ));
    b.push(Block::P("Cells are decided with rigorous intervals (grey: not separated at 128 bits). The dashed line is the boundary the paper states, T^(a/(1+a)) = n; the solid line is where the two bounds are equal with their constants.".into()));
    for p in a.plots.iter().filter(|p| p.kind == "region") {
        b.push(Block::Plot(p.id.clone(), p.svg.clone()));
    }
    b.push(Block::H2("Monte Carlo against exact".into()));
    b.push(Block::P("The constructions run in f64 (embedded in d = 10 dimensions, twin runs coupled by their index sequence) against the exact engine's E||Delta_T||.".into()));
    for p in a.plots.iter().filter(|p| p.kind == "montecarlo") {
        b.push(Block::Plot(p.id.clone(), p.svg.clone()));
    }
    let x = &a.experiments;
    b.push(Block::H2("Experiments (laptop scale)".into()));
    b.push(Block::P(format!("Figure 1a analog. {}", x.fig1a.setup)));
    b.push(Block::Plot("fig1a".into(), plot_svg(a, "fig1a")));
    b.push(Block::P(format!("Figure 1b analog. {}", x.fig1b.setup)));
    b.push(Block::Plot("fig1b".into(), plot_svg(a, "fig1b")));
    b.push(Block::P(format!("Table 2 analog. {}", x.table2.setup)));
    b.push(Block::Table(
        vec![
            "sigma".into(),
            "||w~ - w*|| / ||w*||".into(),
            "||w~* - w*|| / ||w*||".into(),
        ],
        x.table2
            .rows
            .iter()
            .map(|r| {
                vec![
                    format!("{}", r.sigma),
                    format!("{:.5} ± {:.5}", r.before.mean, r.before.sd),
                    format!("{:.5} ± {:.5}", r.after.mean, r.after.sd),
                ]
            })
            .collect(),
    ));
    b.push(Block::P("Theorem 2 and Observation 1: xi computed exactly from the data (every f64 is a dyadic rational); the bound 4LR/(xi gamma n) against the Monte Carlo divergence.".into()));
    b.push(Block::Table(
        vec![
            "setup".into(),
            "xi".into(),
            "R".into(),
            "gamma".into(),
            "L".into(),
            "xi gamma / R^2".into(),
            "bound".into(),
            "max MC / bound".into(),
        ],
        x.thm2
            .iter()
            .map(|t| {
                vec![
                    clip(&t.setup, 160),
                    t.xi.clone(),
                    format!("{:.5}", t.r),
                    format!("{:.5} ({})", t.gamma, t.gamma_note),
                    format!("{:.5} ({})", t.l, t.l_note),
                    format!("{:.3e}", t.hc_constant),
                    format!("{:.4e}", t.bound),
                    format!("{:.3e}", t.max_ratio),
                ]
            })
            .collect(),
    ));
    for p in a
        .plots
        .iter()
        .filter(|p| p.kind == "experiment" && p.id.starts_with("thm2_"))
    {
        b.push(Block::Plot(p.id.clone(), p.svg.clone()));
    }
    let t6 = &x.thm6;
    b.push(Block::P(format!(
        "Theorem 6. {} gamma = {:.4e}, beta = {:.4}. The hypothesis sigma > 12 L / gamma needs L < sigma gamma / 12, but L >= sigma max||x||^2 on the sigma-ball and gamma <= max||x||^2, so it cannot hold for this loss at any sigma; the runs show what SGD does anyway.",
        t6.setup, t6.gamma, t6.beta
    )));
    b.push(Block::Table(
        vec![
            "sigma".into(),
            "L on the ball".into(),
            "12 L / gamma".into(),
            "hypothesis holds".into(),
            "alpha bound".into(),
            "alpha used".into(),
            "max ||w_t - w*||".into(),
            "first step outside sigma".into(),
        ],
        t6.rows
            .iter()
            .map(|r| {
                vec![
                    format!("{}", r.sigma),
                    format!("{:.4}", r.l),
                    format!("{:.4e}", r.radius_needed),
                    if r.radius_ok {
                        "yes".into()
                    } else {
                        "no".into()
                    },
                    format!("{:.4e}", r.alpha_max),
                    format!("{:.4e}", r.alpha),
                    format!("{:.5}", r.max_dist),
                    r.first_exit.map_or_else(
                        || format!("stays within sigma for {} steps", t6.steps),
                        |s| s.to_string(),
                    ),
                ]
            })
            .collect(),
    ));
    b.push(Block::H2("All relations".into()));
    b.push(Block::Table(
        vec![
            "id".into(),
            "source".into(),
            "verdict".into(),
            "evidence".into(),
            "Coq".into(),
        ],
        a.outcomes
            .iter()
            .zip(&a.coq)
            .map(|(o, c)| {
                vec![
                    o.id.clone(),
                    clip(&o.source, 60),
                    o.verdict.as_str().into(),
                    clip(&super::evidence(o), 300),
                    clip(c, 120),
                ]
            })
            .collect(),
    ));
    b
}

fn plot_svg(a: &Audit, id: &str) -> String {
    a.plots
        .iter()
        .find(|p| p.id == id)
        .map(|p| p.svg.clone())
        .unwrap_or_default()
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn markdown(blocks: &[Block]) -> String {
    let mut s = String::new();
    for b in blocks {
        match b {
            Block::H1(t) => {
                let _ = writeln!(s, "# {t}\n");
            }
            Block::H2(t) => {
                let _ = writeln!(s, "## {t}\n");
            }
            Block::P(t) => {
                let _ = writeln!(s, "{t}\n");
            }
            Block::Table(head, rows) => {
                let _ = writeln!(
                    s,
                    "| {} |",
                    head.iter()
                        .map(|h| md_cell(h))
                        .collect::<Vec<_>>()
                        .join(" | ")
                );
                let _ = writeln!(s, "|{}", "---|".repeat(head.len()));
                for r in rows {
                    let _ = writeln!(
                        s,
                        "| {} |",
                        r.iter().map(|c| md_cell(c)).collect::<Vec<_>>().join(" | ")
                    );
                }
                s.push('\n');
            }
            Block::Plot(id, _) => {
                let _ = writeln!(s, "![{id}](plots/{id}.svg)\n");
            }
        }
    }
    s
}

fn html(blocks: &[Block]) -> String {
    let mut s = String::from(
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\"><head><meta charset=\"utf-8\"/><title>stabcert audit</title><style>body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;margin:1em 0;font-size:13px}td,th{border:1px solid #ccc;padding:4px 6px;vertical-align:top;text-align:left}th{background:#f3f3f3}.v-certified{color:#1a7f37}.v-refuted{color:#cf222e}.v-undecided{color:#9a6700}figure{margin:1em 0}</style></head><body>\n",
    );
    for b in blocks {
        match b {
            Block::H1(t) => {
                let _ = writeln!(s, "<h1>{}</h1>", esc(t));
            }
            Block::H2(t) => {
                let _ = writeln!(
                    s,
                    "<h2 id=\"{}\">{}</h2>",
                    esc(&t.to_lowercase().replace(' ', "-")),
                    esc(t)
                );
            }
            Block::P(t) => {
                let _ = writeln!(s, "<p>{}</p>", esc(t));
            }
            Block::Table(head, rows) => {
                s.push_str("<table><thead><tr>");
                for h in head {
                    let _ = write!(s, "<th>{}</th>", esc(h));
                }
                s.push_str("</tr></thead><tbody>\n");
                for r in rows {
                    s.push_str("<tr>");
                    for c in r {
                        let class = match c.as_str() {
                            "certified" | "refuted" | "undecided" => format!(" class=\"v-{c}\""),
                            _ => String::new(),
                        };
                        let _ = write!(s, "<td{class}>{}</td>", esc(c));
                    }
                    s.push_str("</tr>\n");
                }
                s.push_str("</tbody></table>\n");
            }
            Block::Plot(id, svg) => {
                let _ = writeln!(s, "<figure id=\"plot-{}\">{svg}</figure>", esc(id));
            }
        }
    }
    s.push_str("</body></html>\n");
    s
}

/// Writes `report.md`, `report.html`, `results.json` and `plots/*.svg` into `out`, and
/// returns the summary as text (the terminal's view).
pub fn write(a: &Audit, out: &Path) -> std::io::Result<String> {
    std::fs::create_dir_all(out.join("plots"))?;
    let bl = blocks(a);
    std::fs::write(out.join("report.md"), markdown(&bl))?;
    std::fs::write(out.join("report.html"), html(&bl))?;
    for p in &a.plots {
        std::fs::write(out.join("plots").join(format!("{}.svg", p.id)), &p.svg)?;
    }
    let results = serde_json::json!({
        "seed": a.options.seed,
        "quick": a.options.quick,
        "catalogue": super::json_document(&a.outcomes),
        "coq": a.outcomes.iter().zip(&a.coq).map(|(o, c)| serde_json::json!({"id": o.id, "coq": c})).collect::<Vec<_>>(),
        "experiments": a.experiments,
        "plots": a.plots.iter().map(|p| serde_json::json!({"id": p.id, "file": format!("plots/{}.svg", p.id), "data": p.data})).collect::<Vec<_>>(),
    });
    std::fs::write(
        out.join("results.json"),
        serde_json::to_string_pretty(&results).unwrap_or_default(),
    )?;
    // the terminal view: the summary table
    let mut s = String::new();
    if let Some(Block::P(p)) = bl.get(1) {
        let _ = writeln!(s, "{p}\n");
    }
    let rows = summary_rows(a);
    let w = rows
        .iter()
        .map(|r| r.result.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let _ = writeln!(
        s,
        "{:<w$}  {:<36}  evidence / what the statement would need",
        "result", "verdicts"
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{:<w$}  {:<36}  {}",
            r.result,
            clip(&r.verdicts, 36),
            clip(&r.evidence, 150)
        );
        let _ = writeln!(s, "{:<w$}  {:<36}  needs: {}", "", "", clip(&r.needs, 150));
    }
    let _ = writeln!(
        s,
        "\nreport: {} (open in a browser), {}, {}, plots in {}",
        out.join("report.html").display(),
        out.join("report.md").display(),
        out.join("results.json").display(),
        out.join("plots").display()
    );
    Ok(s)
}

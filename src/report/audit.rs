//! The audit report: `report.md`, `report.html` (one self-contained XHTML file: inline
//! SVG, formulas as MathML, no scripts or network), `results.json` and `plots/*.svg`, all
//! from one [`Audit`]. Nothing here computes a result; the same audit gives the same bytes
//! (no dates or timings are written).

use crate::audit::Audit;
use crate::claims::Claim;
use crate::decide::{Outcome, Verdict};
use crate::engine::exact::approx;
use crate::expr::math::{self, Math};
use crate::svg::esc;
use std::fmt::Write;
use std::path::Path;

/// A table cell: text, or something the HTML shows richer than the Markdown.
enum Cell {
    /// plain text (Markdown backticks become `<code>` in HTML)
    Text(String),
    /// a verdict, coloured in HTML
    Verdict(Verdict),
    /// a relation id, with an anchor in HTML
    Id(String),
    /// a formula: MathML in HTML, LaTeX in Markdown, with the definitions it uses
    Formula(Option<Math>, String, Vec<(String, Option<Math>, String)>),
    /// text shown in full: in HTML, folded under its first words when long
    Long(String),
}

/// A piece of the report, rendered to Markdown and HTML alike.
enum Block {
    H1(String),
    H2(String),
    P(String),
    /// the table of contents (of the H2 headings)
    Toc,
    /// a definition list: (term, meaning)
    Glossary(Vec<(String, String)>),
    Table(Vec<String>, Vec<Vec<String>>),
    Rich(Vec<String>, Vec<Vec<Cell>>),
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
        b.meaning
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
                source: head.source.clone(),
                verdicts,
                evidence: format!("{}: {}", head.id, super::evidence(head)),
                needs,
            }
        })
        .collect()
}

/// The anchor of a heading, as GitHub makes it (so that `report.md`'s links work there
/// too): lowercase, spaces as hyphens, other punctuation dropped.
fn slug(t: &str) -> String {
    t.chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// What the verdicts and Coq columns mean, in the report's words.
fn glossary() -> Vec<(String, String)> {
    [
        ("certified", "The relation holds at every point of its stated domain: proved with exact rational arithmetic, or with interval arithmetic rounded outward (a real parameter's whole range is covered by boxes on which the enclosures separate), or by the symbolic engine where the evidence says so."),
        ("refuted", "The relation fails at the exact point shown (the smallest failing point found, in the order of the parameters): both sides are evaluated exactly there, or enclosed in intervals that do not overlap."),
        ("no-counterexample", "The domain is sampled (too large to enumerate) and no sampled point fails. Evidence, not a proof."),
        ("undecided", "Neither proved nor refuted within the budgets; the evidence says why (a budget ran out, the enclosures never separated, an expression is undefined somewhere)."),
        ("Coq: whole domain", "coqc checked a proof script of the relation on its whole domain (every integer point and, for a real parameter, its whole interval)."),
        ("Coq: in part", "coqc checked the relation at some points of the domain only (the verdict itself rests on stabcert's engines)."),
        ("threshold / best constant", "A claim that names a parameter or a constant gets a rigorous bracket [lo, hi] of the value where the relation starts or stops holding."),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect()
}

/// The claim an outcome belongs to (its id, or the id before `.step<k>` or a sub-id).
fn claim_of<'a>(claims: &'a [Claim], id: &str) -> Option<&'a Claim> {
    claims
        .iter()
        .filter(|c| id == c.id || id.starts_with(&format!("{}.", c.id)))
        .max_by_key(|c| c.id.len())
}

/// Longest definition written out as a formula; longer ones (derived construction
/// quantities) are named only.
const MAX_DEFINITION_CHARS: usize = 400;

/// The formula cell of an outcome: its relation and the definitions it uses.
fn formula(claims: &[Claim], o: &Outcome) -> Cell {
    let mut defs = Vec::new();
    if let Some(c) = claim_of(claims, &o.id) {
        // definitions used by the relation, then by those definitions (in claim order)
        let mut used: Vec<&str> = Vec::new();
        // the relation parsed once (a symbolic statement is searched as text)
        let relation = crate::expr::parse_relation(&o.relation).ok();
        let mentions = |name: &str| match &relation {
            Some(r) => r.lhs.mentions(name) || r.rhs.mentions(name),
            None => o.relation.contains(name),
        };
        for d in c.lets.iter().rev() {
            if mentions(&d.name)
                || c.lets
                    .iter()
                    .any(|u| used.contains(&u.name.as_str()) && u.expr.mentions(&d.name))
            {
                used.push(&d.name);
            }
        }
        for d in &c.lets {
            if used.contains(&d.name.as_str()) {
                let text = d.expr.to_string();
                let m = (text.chars().count() <= MAX_DEFINITION_CHARS)
                    .then(|| math::definition_math(&d.name, &d.expr));
                let shown = if m.is_some() {
                    format!("{} = {text}", d.name)
                } else {
                    format!(
                        "{}: {} characters (derived from the claim's construction or definitions)",
                        d.name,
                        text.chars().count()
                    )
                };
                defs.push((d.name.clone(), m, shown));
            }
        }
    }
    Cell::Formula(math::statement_math(&o.relation), o.relation.clone(), defs)
}

fn title(a: &Audit) -> String {
    match &a.paper {
        Some(p) => format!("stabcert audit: {}", p.short()),
        None => {
            let names: Vec<&str> = a.files.iter().map(|f| f.name.as_str()).collect();
            format!("stabcert audit: {}", clip(&names.join(", "), 80))
        }
    }
}

/// The one-paragraph summary of the verdicts (the terminal's first line too).
fn summary_line(a: &Audit) -> String {
    let total = a.outcomes.len();
    let count = |v: Verdict| a.outcomes.iter().filter(|o| o.verdict == v).count();
    format!(
        "{total} relations of {} claims: {} certified, {} refuted, {} no-counterexample, {} undecided; {}. Seed {}{}.",
        a.claims.len(),
        count(Verdict::Certified),
        count(Verdict::Refuted),
        count(Verdict::NoCounterexample),
        count(Verdict::Undecided),
        a.coq_summary,
        a.options.seed,
        if a.options.quick {
            " (--quick: at most 100 points and 0.5 s per claim, no coqc, small experiments; not the audit's verdicts)"
        } else {
            ""
        }
    )
}

fn paper_line(a: &Audit) -> String {
    let mut s = match &a.paper {
        Some(p) => format!("Paper: {}.", p.citation()),
        None => "The claim files have no [paper] table.".to_string(),
    };
    if let Some(p) = &a.paper
        && !p.references.is_empty()
    {
        let _ = write!(s, " Compared with: {}.", p.references.join("; "));
    }
    s
}

fn blocks(a: &Audit) -> Vec<Block> {
    let mut b = Vec::new();
    b.push(Block::H1(title(a)));
    b.push(Block::P(paper_line(a)));
    b.push(Block::P(summary_line(a)));
    b.push(Block::P(format!(
        "Produced by stabcert {} from {} claim file{} (names and SHA-256 under Claim files).",
        super::VERSION,
        a.files.len(),
        if a.files.len() == 1 { "" } else { "s" }
    )));
    b.push(Block::Toc);
    b.push(Block::H2("Summary".into()));
    b.push(Block::Rich(
        vec![
            "result".into(),
            "source".into(),
            "verdicts".into(),
            "evidence".into(),
            "what the statement would need".into(),
        ],
        summary_rows(a)
            .into_iter()
            .map(|r| {
                vec![
                    Cell::Text(r.result),
                    Cell::Text(r.source),
                    Cell::Text(r.verdicts),
                    Cell::Long(r.evidence),
                    Cell::Long(r.needs),
                ]
            })
            .collect(),
    ));
    b.push(Block::H2("Verdicts".into()));
    b.push(Block::Glossary(glossary()));
    for kind in ["curve", "region", "montecarlo"] {
        let plots: Vec<_> = a.plots.iter().filter(|p| p.kind == kind).collect();
        if plots.is_empty() {
            continue;
        }
        let sec = a.sections.of(kind);
        b.push(Block::H2(sec.title));
        b.push(Block::P(sec.text));
        for p in plots {
            b.push(Block::Plot(p.id.clone(), p.svg.clone()));
            if let Some(n) = &p.note {
                b.push(Block::P(format!("Finding ({}): {n}.", p.id)));
            }
        }
    }
    if let Some(x) = &a.experiments {
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
                        t.setup.clone(),
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
        for p in a.plots.iter().filter(|p| p.kind == "experiment") {
            if let Some(n) = &p.note {
                b.push(Block::P(format!("Finding ({}): {n}.", p.id)));
            }
        }
    }
    b.push(Block::H2("All relations".into()));
    b.push(Block::Rich(
        vec![
            "id".into(),
            "source".into(),
            "relation".into(),
            "verdict".into(),
            "evidence".into(),
            "Coq".into(),
        ],
        a.outcomes
            .iter()
            .zip(&a.coq)
            .map(|(o, c)| {
                vec![
                    Cell::Id(o.id.clone()),
                    Cell::Text(o.source.clone()),
                    formula(&a.claims, o),
                    Cell::Verdict(o.verdict),
                    Cell::Long(super::evidence(o)),
                    Cell::Long(c.clone()),
                ]
            })
            .collect(),
    ));
    b.push(Block::H2("Claim files".into()));
    b.push(Block::Table(
        vec!["file".into(), "bytes".into(), "SHA-256".into()],
        a.files
            .iter()
            .chain(a.plot_file.iter())
            .map(|f| vec![f.name.clone(), f.bytes.to_string(), f.sha256.clone()])
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

/// A cell as Markdown.
fn md_rich(c: &Cell) -> String {
    match c {
        Cell::Text(t) | Cell::Long(t) | Cell::Id(t) => md_cell(t),
        Cell::Verdict(v) => v.as_str().into(),
        Cell::Formula(m, text, defs) => {
            let mut s = match m {
                Some(m) => format!("${}$", m.latex),
                None => format!("`{text}`"),
            };
            for (k, (_, dm, shown)) in defs.iter().enumerate() {
                s.push_str(if k == 0 { ", where " } else { "; " });
                match dm {
                    Some(dm) => {
                        let _ = write!(s, "${}$", dm.latex);
                    }
                    None => s.push_str(shown),
                }
            }
            md_cell(&s)
        }
    }
}

/// The H2 headings, in order, for the table of contents.
fn headings(blocks: &[Block]) -> Vec<&str> {
    blocks
        .iter()
        .filter_map(|b| match b {
            Block::H2(t) => Some(t.as_str()),
            _ => None,
        })
        .collect()
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
            Block::Toc => {
                s.push_str("Contents:\n\n");
                for h in headings(blocks) {
                    let _ = writeln!(s, "- [{h}](#{})", slug(h));
                }
                s.push('\n');
            }
            Block::Glossary(items) => {
                for (term, meaning) in items {
                    let _ = writeln!(s, "- **{term}**: {meaning}");
                }
                s.push('\n');
            }
            Block::Table(head, rows) => {
                let rich: Vec<Vec<Cell>> = rows
                    .iter()
                    .map(|r| r.iter().map(|c| Cell::Text(c.clone())).collect())
                    .collect();
                md_table(&mut s, head, &rich);
            }
            Block::Rich(head, rows) => md_table(&mut s, head, rows),
            Block::Plot(id, _) => {
                let _ = writeln!(s, "![{id}](plots/{id}.svg)\n");
            }
        }
    }
    s
}

fn md_table(s: &mut String, head: &[String], rows: &[Vec<Cell>]) {
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
            r.iter().map(md_rich).collect::<Vec<_>>().join(" | ")
        );
    }
    s.push('\n');
}

/// Text as HTML: escaped, with Markdown's `code` spans as `<code>`.
fn inline(t: &str) -> String {
    let mut out = String::new();
    let mut parts = t.split('`').peekable();
    let mut code = false;
    while let Some(p) = parts.next() {
        if code && parts.peek().is_none() {
            // an unpaired backtick: keep it as text
            let _ = write!(out, "`{}", esc(p));
            break;
        }
        if code {
            let _ = write!(out, "<code>{}</code>", esc(p));
        } else {
            out.push_str(&esc(p));
        }
        code = !code;
    }
    out
}

/// Longest text shown unfolded in an HTML cell; longer text is folded under its start.
const FOLD_CHARS: usize = 240;

fn html_rich(c: &Cell) -> String {
    match c {
        Cell::Text(t) => format!("<td>{}</td>", inline(t)),
        Cell::Id(id) => format!(
            "<td id=\"rel-{}\"><code>{}</code></td>",
            esc(&slug(id)),
            esc(id)
        ),
        Cell::Verdict(v) => format!("<td class=\"v-{0}\">{0}</td>", v.as_str()),
        Cell::Long(t) if t.chars().count() > FOLD_CHARS => format!(
            "<td><details><summary>{}</summary>{}</details></td>",
            inline(&clip(t, 120)),
            inline(t)
        ),
        Cell::Long(t) => format!("<td>{}</td>", inline(t)),
        Cell::Formula(m, text, defs) => {
            let mut s = String::from("<td class=\"formula\">");
            match m {
                Some(m) => s.push_str(&m.mathml),
                None => {
                    let _ = write!(s, "<code>{}</code>", esc(text));
                }
            }
            if !defs.is_empty() {
                let names: Vec<&str> = defs.iter().map(|d| d.0.as_str()).collect();
                let _ = write!(
                    s,
                    "<details><summary>where {}</summary>",
                    esc(&names.join(", "))
                );
                for (_, dm, shown) in defs {
                    match dm {
                        Some(dm) => {
                            let _ = write!(s, "<div>{}</div>", dm.mathml);
                        }
                        None => {
                            let _ = write!(s, "<div>{}</div>", inline(shown));
                        }
                    }
                }
                s.push_str("</details>");
            }
            s.push_str("</td>");
            s
        }
    }
}

const CSS: &str = "body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;margin:1em 0;font-size:13px}td,th{border:1px solid #ccc;padding:4px 6px;vertical-align:top;text-align:left}th{background:#f3f3f3}.v-certified{color:#1a7f37}.v-refuted{color:#cf222e}.v-undecided{color:#9a6700}.v-no-counterexample{color:#0969da}td.formula{min-width:16em}math{font-size:110%}summary{cursor:pointer}figure{margin:1em 0}svg{max-width:100%;height:auto}dt{font-weight:bold}dd{margin:0 0 .6em 1.5em}code{font-size:95%}";

fn html(blocks: &[Block], title: &str) -> String {
    let mut s = format!(
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\"><head><meta charset=\"utf-8\"/><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/><title>{}</title><style>{CSS}</style></head><body>\n",
        esc(title)
    );
    for b in blocks {
        match b {
            Block::H1(t) => {
                let _ = writeln!(s, "<h1>{}</h1>", esc(t));
            }
            Block::H2(t) => {
                let _ = writeln!(s, "<h2 id=\"{}\">{}</h2>", esc(&slug(t)), esc(t));
            }
            Block::P(t) => {
                let _ = writeln!(s, "<p>{}</p>", inline(t));
            }
            Block::Toc => {
                s.push_str("<nav><p>Contents</p><ul>");
                for h in headings(blocks) {
                    let _ = write!(s, "<li><a href=\"#{}\">{}</a></li>", esc(&slug(h)), esc(h));
                }
                s.push_str("</ul></nav>\n");
            }
            Block::Glossary(items) => {
                s.push_str("<dl>");
                for (term, meaning) in items {
                    let class = if Verdict::parse(term).is_some() {
                        format!(" class=\"v-{term}\"")
                    } else {
                        String::new()
                    };
                    let _ = write!(
                        s,
                        "<dt{class}>{}</dt><dd>{}</dd>",
                        esc(term),
                        inline(meaning)
                    );
                }
                s.push_str("</dl>\n");
            }
            Block::Table(head, rows) => {
                let rich: Vec<Vec<Cell>> = rows
                    .iter()
                    .map(|r| {
                        r.iter()
                            .map(|c| match Verdict::parse(c) {
                                Some(v) => Cell::Verdict(v),
                                None => Cell::Text(c.clone()),
                            })
                            .collect()
                    })
                    .collect();
                html_table(&mut s, head, &rich);
            }
            Block::Rich(head, rows) => html_table(&mut s, head, rows),
            Block::Plot(id, svg) => {
                let _ = writeln!(s, "<figure id=\"plot-{}\">{svg}</figure>", esc(id));
            }
        }
    }
    s.push_str("</body></html>\n");
    s
}

fn html_table(s: &mut String, head: &[String], rows: &[Vec<Cell>]) {
    s.push_str("<table><thead><tr>");
    for h in head {
        let _ = write!(s, "<th>{}</th>", esc(h));
    }
    s.push_str("</tr></thead><tbody>\n");
    for r in rows {
        s.push_str("<tr>");
        for c in r {
            s.push_str(&html_rich(c));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody></table>\n");
}

/// Writes `report.md`, `report.html`, `results.json` and `plots/*.svg` into `out`, and
/// returns the summary as text (the terminal's view).
pub fn write(a: &Audit, out: &Path) -> std::io::Result<String> {
    std::fs::create_dir_all(out.join("plots"))?;
    let bl = blocks(a);
    std::fs::write(out.join("report.md"), markdown(&bl))?;
    std::fs::write(out.join("report.html"), html(&bl, &title(a)))?;
    for p in &a.plots {
        std::fs::write(out.join("plots").join(format!("{}.svg", p.id)), &p.svg)?;
    }
    let mut results = super::document_header("audit");
    results.extend(serde_json::json!({
        "paper": a.paper,
        "files": a.files,
        "plot_file": a.plot_file,
        "seed": a.options.seed,
        "quick": a.options.quick,
        "claims": a.outcomes.iter().map(super::outcome_json).collect::<Vec<_>>(),
        "coq": a.outcomes.iter().zip(&a.coq).map(|(o, c)| serde_json::json!({"id": o.id, "coq": c})).collect::<Vec<_>>(),
        "experiments": a.experiments,
        "plots": a.plots.iter().map(|p| serde_json::json!({"id": p.id, "kind": p.kind, "file": format!("plots/{}.svg", p.id), "note": p.note, "data": p.data})).collect::<Vec<_>>(),
    }).as_object().cloned().unwrap_or_default());
    std::fs::write(
        out.join("results.json"),
        serde_json::to_string_pretty(&serde_json::Value::Object(results)).unwrap_or_default(),
    )?;
    // the terminal view: the summary table
    let mut s = String::new();
    let _ = writeln!(s, "{} {}\n", summary_line(a), paper_line(a));
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

//! Certification of verdicts: Coq scripts ([`script`], over the term mirror [`term`]) that
//! coqc re-checks, and the independent num-rational re-check [`kernel`].
//!
//! [`write_all`] writes one script per decided relation into a folder (default
//! `proofs/coq`) together with the library `Stabcert.v` and an `INDEX.md` that says, per
//! relation, what is proved and what is not and why; [`write_all`] then compiles the library
//! and every script. A script that coqc rejects is removed and the index says so, so that
//! the folder only ever holds proofs that check.

pub mod kernel;
pub mod realbox;
pub mod script;
pub mod term;

use crate::claims::Claim;
use crate::decide::Outcome;
use script::{Certificate, LIBRARY, TOUCHING, TWIN, TWIN_R};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What happened to one relation's certificate.
#[derive(Clone, Debug, PartialEq)]
pub struct Status {
    /// the certificate (script, what it proves, what it leaves out)
    pub cert: Certificate,
    /// `checked by Coq`, or why not
    pub coq: CoqResult,
}

impl Status {
    /// What Coq checked of the verdict: the certificate's coverage when coqc accepted its
    /// script, nothing otherwise.
    pub fn coq_coverage(&self) -> script::CoqCoverage {
        match &self.coq {
            CoqResult::Checked(_) => self.cert.coverage.clone(),
            other => script::CoqCoverage::None(match &self.cert.coverage {
                script::CoqCoverage::None(why) if !why.is_empty() => why.clone(),
                _ => other.describe(),
            }),
        }
    }
}

/// The outcome of running coqc on a script.
#[derive(Clone, Debug, PartialEq)]
pub enum CoqResult {
    /// coqc accepted it, in this many seconds
    Checked(f64),
    /// coqc rejected it: its first error line
    Rejected(String),
    /// not run: why (no script, coqc missing, `--no-coqc`)
    NotRun(String),
}

impl CoqResult {
    /// One line for tables and JSON.
    pub fn describe(&self) -> String {
        match self {
            CoqResult::Checked(_) => "checked by Coq".into(),
            CoqResult::Rejected(e) => format!("not checked: coqc rejected the script: {e}"),
            CoqResult::NotRun(why) => format!("not checked: {why}"),
        }
    }
}

/// Builds the certificates of `outcomes` (each must belong to one of `claims`).
pub fn certificates(claims: &[Claim], outcomes: &[Outcome]) -> Vec<Certificate> {
    outcomes
        .iter()
        .map(|o| {
            let claim = claims
                .iter()
                .find(|c| o.id == c.id || o.id.starts_with(&format!("{}.step", c.id)));
            match claim {
                Some(c) => script::certificate(c, o),
                None => Certificate {
                    id: o.id.clone(),
                    file: script::file_name(&o.id),
                    head: String::new(),
                    blocks: Vec::new(),
                    not_certified: vec!["not certified: no claim with this id".into()],
                    coverage: script::CoqCoverage::None("no claim with this id".into()),
                    verdict: Some(o.verdict),
                },
            }
        })
        .collect()
}

/// The path of coqc, if installed (`COQC` overrides).
pub fn coqc_path() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("COQC") {
        return Some(PathBuf::from(p));
    }
    let ok = Command::new("coqc")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then(|| PathBuf::from("coqc"))
}

fn coqc(coqc: &Path, dir: &Path, file: &str, limit: Duration) -> Result<f64, String> {
    let start = Instant::now();
    let mut child = Command::new(coqc)
        .current_dir(dir)
        .args(["-Q", ".", "Stabcert", file])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run coqc: {e}"))?;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) => {
                if start.elapsed() > limit {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!("coqc took more than {} s", limit.as_secs()));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(format!("coqc: {e}")),
        }
    }
    let out = child.wait_with_output().map_err(|e| format!("coqc: {e}"))?;
    if out.status.success() {
        Ok(start.elapsed().as_secs_f64())
    } else {
        let msg = String::from_utf8_lossy(&out.stderr).to_string()
            + &String::from_utf8_lossy(&out.stdout);
        Err(coq_error(&msg))
    }
}

/// Writes the library, every script and `INDEX.md` into `dir` (removing stale generated
/// files), then runs coqc on each script unless `coqc_bin` is `None`. When coqc rejects a
/// theorem, that theorem is dropped (the certificate says so) and the rest is checked
/// again; a script with nothing left is removed. Returns one status per certificate.
pub fn write_all(
    dir: &Path,
    certs: Vec<Certificate>,
    coqc_bin: Option<&Path>,
    why_not_run: &str,
    limit: Duration,
) -> std::io::Result<Vec<Status>> {
    write_all_with(dir, certs, coqc_bin, why_not_run, limit, &|| {})
}

/// [`write_all`], calling `checked()` after each script is written (and checked): for a
/// progress bar.
pub fn write_all_with(
    dir: &Path,
    certs: Vec<Certificate>,
    coqc_bin: Option<&Path>,
    why_not_run: &str,
    limit: Duration,
    checked: &(dyn Fn() + Sync),
) -> std::io::Result<Vec<Status>> {
    std::fs::create_dir_all(dir)?;
    let wanted: Vec<String> = certs
        .iter()
        .filter(|c| !c.blocks.is_empty())
        .map(|c| c.file.trim_end_matches(".v").to_string())
        .collect();
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let stem = name.split('.').next().unwrap_or("").to_string();
        let generated = [".v", ".vo", ".vos", ".vok", ".glob", ".aux"]
            .iter()
            .any(|x| name.ends_with(x));
        if generated
            && !["Stabcert", "Touching", "Twin", "TwinR"].contains(&stem.as_str())
            && !wanted.contains(&stem)
        {
            std::fs::remove_file(&p)?;
        }
    }
    std::fs::write(dir.join("Stabcert.v"), LIBRARY)?;
    std::fs::write(dir.join("Touching.v"), TOUCHING)?;
    std::fs::write(dir.join("Twin.v"), TWIN)?;
    std::fs::write(dir.join("TwinR.v"), TWIN_R)?;
    let lib_ok = match coqc_bin {
        Some(bin) => coqc(bin, dir, "Stabcert.v", limit * 4)
            .and_then(|a| Ok(a + coqc(bin, dir, "Touching.v", limit * 4)?))
            .and_then(|a| Ok(a + coqc(bin, dir, "Twin.v", limit * 4)?))
            .and_then(|a| Ok(a + coqc(bin, dir, "TwinR.v", limit * 4)?)),
        None => Err(why_not_run.to_string()),
    };
    // coqc runs on the scripts in parallel (each is independent; the results do not depend
    // on the order or the number of threads)
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Status>>> = certs.iter().map(|_| Mutex::new(None)).collect();
    let inputs: Vec<Mutex<Option<Certificate>>> =
        certs.into_iter().map(|c| Mutex::new(Some(c))).collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let failure: Mutex<Option<std::io::Error>> = Mutex::new(None);
    std::thread::scope(|sc| {
        for _ in 0..threads {
            sc.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(input) = inputs.get(i) else { break };
                    let cert = input.lock().expect("not poisoned").take().expect("once");
                    match check_one(dir, cert, &lib_ok, coqc_bin, why_not_run, limit) {
                        Ok(st) => {
                            *slots[i].lock().expect("not poisoned") = Some(st);
                            checked();
                        }
                        Err(e) => {
                            *failure.lock().expect("not poisoned") = Some(e);
                            break;
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().expect("not poisoned") {
        return Err(e);
    }
    let out: Vec<Status> = slots
        .into_iter()
        .map(|m| {
            m.into_inner()
                .expect("not poisoned")
                .expect("every slot filled")
        })
        .collect();
    std::fs::write(dir.join("INDEX.md"), index(&out))?;
    std::fs::write(dir.join("_CoqProject"), coq_project(&out))?;
    Ok(out)
}

/// `_CoqProject`: the logical path and every script that is in the folder, so that
/// `coq_makefile` (one command re-checks the folder, in parallel with `make -j`) and
/// editors (CoqIDE, VsCoq) find the library.
pub fn coq_project(statuses: &[Status]) -> String {
    let mut s = String::from("-Q . Stabcert\nStabcert.v\nTouching.v\nTwin.v\nTwinR.v\n");
    for st in statuses {
        if st.cert.script().is_some() && !matches!(st.coq, CoqResult::Rejected(_)) {
            s.push_str(&st.cert.file);
            s.push('\n');
        }
    }
    s
}

/// The first error of coqc's output, with the location line before it (warnings such as
/// Coquelicot's coercion notices are skipped), cut to 300 characters.
fn coq_error(msg: &str) -> String {
    let lines: Vec<&str> = msg.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = match lines.iter().position(|l| l.starts_with("Error")) {
        Some(e) => lines[..e]
            .iter()
            .rposition(|l| l.starts_with("File "))
            .unwrap_or(e),
        None => 0,
    };
    let first: Vec<&str> = lines[start..].iter().take(3).copied().collect();
    first.join(" ").chars().take(300).collect()
}

/// The line number in coqc's first error (`File "./x.v", line 21, characters ...`).
fn error_line(msg: &str) -> Option<usize> {
    let at = msg.find(", line ")? + ", line ".len();
    let digits: String = msg[at..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn check_one(
    dir: &Path,
    mut cert: Certificate,
    lib_ok: &Result<f64, String>,
    coqc_bin: Option<&Path>,
    why_not_run: &str,
    limit: Duration,
) -> std::io::Result<Status> {
    let path = dir.join(&cert.file);
    loop {
        let Some(script) = cert.script() else {
            let coq = if cert
                .not_certified
                .iter()
                .any(|n| n.contains("coqc rejected"))
            {
                let _ = std::fs::remove_file(&path);
                CoqResult::Rejected("every theorem was rejected".into())
            } else {
                CoqResult::NotRun("nothing to prove".into())
            };
            return Ok(Status { cert, coq });
        };
        std::fs::write(&path, &script)?;
        let (Some(bin), Ok(_)) = (coqc_bin, lib_ok) else {
            let why = match lib_ok {
                Err(e) if coqc_bin.is_some() => format!("the library failed: {e}"),
                _ => why_not_run.to_string(),
            };
            return Ok(Status {
                cert,
                coq: CoqResult::NotRun(why),
            });
        };
        match coqc(bin, dir, &cert.file, limit) {
            Ok(t) => {
                return Ok(Status {
                    cert,
                    coq: CoqResult::Checked(t),
                });
            }
            Err(e) => match error_line(&e).and_then(|l| cert.block_at_line(l)) {
                Some(b) => {
                    let dropped = cert.blocks.remove(b);
                    let short: String = e
                        .split("Error:")
                        .nth(1)
                        .unwrap_or(&e)
                        .trim()
                        .chars()
                        .take(120)
                        .collect();
                    let why = format!(
                        "coqc rejected the theorem for \"{}\": {short}",
                        dropped.proves
                    );
                    // a rejected theorem of the verdict: what is left covers less
                    if let Some(fb) = dropped.fallback.clone() {
                        cert.coverage = fb;
                    } else if dropped.verdict {
                        cert.coverage = if cert.blocks.iter().any(|b| b.verdict) {
                            script::CoqCoverage::Partial(format!(
                                "{} ({why})",
                                cert.coverage.detail()
                            ))
                        } else {
                            script::CoqCoverage::None(why.clone())
                        };
                    }
                    cert.not_certified.push(why);
                }
                None => {
                    let stem = cert.file.trim_end_matches(".v").to_string();
                    for ext in ["v", "glob", "vo", "vok", "vos"] {
                        let _ = std::fs::remove_file(dir.join(format!("{stem}.{ext}")));
                    }
                    return Ok(Status {
                        cert,
                        coq: CoqResult::Rejected(e),
                    });
                }
            },
        }
    }
}

/// The headline count of what Coq proved: whole-domain proofs only, by verdict, and the
/// partial ones apart.
pub fn coverage_summary(statuses: &[Status]) -> String {
    use crate::decide::Verdict;
    let count = |kind: &str, verdict: Option<Verdict>| {
        statuses
            .iter()
            .filter(|st| {
                st.coq_coverage().kind() == kind
                    && verdict.is_none_or(|v| st.cert.verdict == Some(v))
            })
            .count()
    };
    let of = |v: Verdict| {
        statuses
            .iter()
            .filter(|st| st.cert.verdict == Some(v))
            .count()
    };
    format!(
        "{} of {} relations proved by Coq on their whole domain ({} of {} certified, {} of {} refuted); {} more proved in part (some points of the domain); {} with no Coq proof",
        count("whole", None),
        statuses.len(),
        count("whole", Some(Verdict::Certified)),
        of(Verdict::Certified),
        count("whole", Some(Verdict::Refuted)),
        of(Verdict::Refuted),
        count("partial", None),
        count("none", None),
    )
}

/// `INDEX.md`: per relation, the script, what it proves, and what it leaves out. It holds
/// no timings, so that regenerating it on an unchanged catalogue gives the same bytes.
pub fn index(statuses: &[Status]) -> String {
    let mut s = String::from(
        "# Coq certificates\n\nGenerated by `stabcert certify`: do not edit. Each script imports `Stabcert.v` (and, for touching inequalities, `Touching.v`; for a construction given by its loss, `Twin.v`, or `TwinR.v` when the loss has irrational values) and is checked with `coqc -Q . Stabcert FILE` from this folder (or all of them: `coq_makefile -f _CoqProject -o CoqMakefile && make -f CoqMakefile`).\n\n",
    );
    let _ = writeln!(s, "{}\n", coverage_summary(statuses));
    s.push_str("Coverage of each relation: **whole** — the theorems are the verdict on the relation's whole stated domain, or state it on a box that holds the whole domain (named in the coverage; that the domain lies in it is stabcert's check), and a refutation is the relation failing at a point of the domain; **partial** — they state it on part of the domain (some points, or rational points of a real box); **none** — no theorem states the verdict.\n\n");
    for st in statuses {
        let c = &st.cert;
        let _ = writeln!(s, "## {}\n", c.id);
        let _ = writeln!(s, "- coverage: {}", st.coq_coverage().describe());
        match (c.script(), &st.coq) {
            (Some(_), CoqResult::Checked(_)) => {
                let _ = writeln!(s, "- script: `{}` (checked by Coq)", c.file);
            }
            (Some(_), CoqResult::NotRun(why)) => {
                let _ = writeln!(s, "- script: `{}` (not checked: {why})", c.file);
            }
            (_, CoqResult::Rejected(e)) => {
                let _ = writeln!(s, "- no script: coqc rejected the generated one ({e})");
            }
            (None, _) => {
                let _ = writeln!(s, "- no script");
            }
        }
        if !matches!(st.coq, CoqResult::Rejected(_)) {
            for p in c.proves() {
                let _ = writeln!(s, "- proves {p}");
            }
        }
        for n in &c.not_certified {
            let _ = writeln!(s, "- {n}");
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coq_errors_skip_warnings_and_name_the_failing_line() {
        // what coqc prints for a script that imports Coquelicot and fails at line 21: the
        // warning's location (line 7) must not be taken for the error's
        let out = "File \"./x.v\", line 7, characters 0-42:\nWarning:\nNew coercion path [real; Finite] : Rbar >-> Rbar is not definitionally an identity function.\n[ambiguous-paths,typechecker]\nFile \"./x.v\", line 21, characters 2-319:\nError: No applicable tactic.\n\n";
        let e = coq_error(out);
        assert_eq!(
            e,
            "File \"./x.v\", line 21, characters 2-319: Error: No applicable tactic."
        );
        assert_eq!(error_line(&e), Some(21));
        // no "Error" line: the first lines, as before
        assert_eq!(coq_error("a\n\nb\nc\nd"), "a b c");
    }
}

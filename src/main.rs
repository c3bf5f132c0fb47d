//! The `stabcert` command line: parses arguments, calls the library, sets exit codes
//! (0 the run completed, 2 bad input, 1 internal failure).

use clap::{Parser, Subcommand};
use stabcert::Verdict;
use stabcert::cli::{self, CliError, EvalMode};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "stabcert",
    version,
    about = "Audits stability bounds for SGD: exact, rigorous, checkable",
    after_help = "Examples:
  stabcert new mypaper                 a commented claim file to start from (mypaper.toml)
  stabcert check mypaper.toml          decide its claims: a row per relation (--json: a document)
  stabcert audit mypaper.toml          the report: verdicts, formulas, Coq proofs, plots
  stabcert eval \"sum(i, 1, 10, 1/i)\"   one exact value

The claim language is documented in docs/claims.md of the stabcert repository; `stabcert
COMMAND --help` shows each command's options, examples and exit status.

Exit status: 0 the command ran (whatever the verdicts), 1 internal error, 2 bad input (the
message names the file, line and column), 3 `check --fail-on` found a named verdict."
)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

/// The decision budgets of `check` and `certify` (unset: the defaults).
#[derive(clap::Args)]
struct BudgetArgs {
    /// wall-clock allowance per claim, in seconds (an exact decimal; default 60)
    #[arg(long, value_name = "SECONDS", value_parser = cli::parse_seconds)]
    time_per_claim: Option<Duration>,
    /// most boxes branch and bound examines per relation and integer point (default 4000)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    boxes: Option<u64>,
    /// most points evaluated per claim (default 2000000)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    points: Option<u64>,
}

/// The verdicts `check --fail-on` can name.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum FailOn {
    /// false at an exact point
    Refuted,
    /// not decided
    Undecided,
    /// sampled only, no failing point found
    NoCounterexample,
}

impl From<FailOn> for Verdict {
    fn from(f: FailOn) -> Verdict {
        match f {
            FailOn::Refuted => Verdict::Refuted,
            FailOn::Undecided => Verdict::Undecided,
            FailOn::NoCounterexample => Verdict::NoCounterexample,
        }
    }
}

impl From<BudgetArgs> for cli::Budgets {
    fn from(b: BudgetArgs) -> Self {
        cli::Budgets {
            time_per_claim: b.time_per_claim,
            boxes: b.boxes,
            points: b.points,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate an expression exactly at given parameter values.
    #[command(after_help = "Examples:
  stabcert eval \"1/3 + 1/6\"                          1/2 (exact: the default)
  stabcert eval \"(1 - 1/n)^T\" --set n=10 --set T=5   59049/100000
  stabcert eval \"exp(1)\" --digits 12                 [2.71828182845, 2.71828182846]

Exit status:
  0  evaluated
  1  internal error
  2  bad input (the message names the column), a value that is undefined or not rational
     (use --digits), or the time limit reached")]
    Eval {
        /// the expression, e.g. "rec(x, t, 1, T, 0, (1 + a/(0.99*t))*x + 1/(t*n))" (it may
        /// start with a minus sign: `stabcert eval -2^2`)
        #[arg(allow_hyphen_values = true)]
        expr: String,
        /// a parameter value, NAME=VALUE (VALUE is an exact expression: 1/100, 0.99, 1e-3)
        #[arg(long = "set", value_name = "NAME=VALUE")]
        sets: Vec<String>,
        /// print the exact value p/q in lowest terms (the default)
        #[arg(long, conflicts_with = "digits")]
        exact: bool,
        /// print an enclosure [lo, hi] with N significant digits (1 to 10000)
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
        digits: Option<u32>,
        /// give up after this many seconds
        #[arg(long, default_value_t = 120, value_name = "SECONDS")]
        time_limit: u64,
    },
    /// Decide the claims of claim files and print a table (or JSON).
    #[command(after_help = "Examples:
  stabcert check                                   the paper's claims (proofs/paper)
  stabcert check my_claims.toml --only thm2 --json
  stabcert check claims/ --fail-on refuted,undecided   gate a CI job on the claims
  stabcert check claims/ --shard 2/8 > part2.json   one of 8 runs; `stabcert merge part*.json`

Exit status:
  0  every claim decided (whatever the verdicts), unless --fail-on names one that occurred
  1  internal error
  2  bad input (the message names the file, line and column)
  3  a relation has a verdict named by --fail-on (the table or JSON is printed in full;
     the message on standard error names the relations)")]
    Check {
        /// claim files or folders of them (default: proofs/paper, else the built-in catalogue)
        paths: Vec<PathBuf>,
        /// print the Contract's JSON document instead of the table
        #[arg(long)]
        json: bool,
        /// decide only this claim (or chain step); repeatable
        #[arg(long = "only", value_name = "ID")]
        only: Vec<String>,
        /// exit with status 3 if a relation has one of these verdicts (comma-separated:
        /// refuted, undecided, no-counterexample)
        #[arg(long, value_name = "VERDICTS", value_delimiter = ',')]
        fail_on: Vec<FailOn>,
        /// run shard I of N (1 <= I <= N) and print its part as a JSON shard document;
        /// `stabcert merge` combines the N documents into what one run prints. Claims over
        /// enumerated points are split point by point, claims with real parameters by the
        /// integer points under their boxes, the others spread whole over the shards
        #[arg(long, value_name = "I/N", value_parser = stabcert::shard::parse_shard,
              conflicts_with_all = ["json", "fail_on"])]
        shard: Option<stabcert::decide::Shard>,
        #[command(flatten)]
        budgets: BudgetArgs,
    },
    /// Combine the shard documents of `check --shard` or `simulate --shard` into one run's output.
    #[command(after_help = "Examples:
  for i in 1 2 3; do stabcert check claims/ --shard $i/3 > part$i.json; done
  stabcert merge part1.json part2.json part3.json --json     the same document as one `check --json`
  stabcert merge sim*.json                                  the same table as one `simulate`

Run the merge where the shards ran (it re-reads the claim files or the configuration, and
refuses files that changed). A Slurm job array: docs/scale.md.

Exit status:
  0  merged
  1  internal error
  2  bad input: a file that is not a shard document, shards of different runs, a shard
     missing or given twice, claim files changed since
  3  a relation has a verdict named by --fail-on")]
    Merge {
        /// the shard documents, one per shard, in any order
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// print the JSON document instead of the table
        #[arg(long)]
        json: bool,
        /// exit with status 3 if a relation has one of these verdicts (as `check --fail-on`)
        #[arg(long, value_name = "VERDICTS", value_delimiter = ',')]
        fail_on: Vec<FailOn>,
    },
    /// Write a Coq proof script per relation (default folder proofs/coq) and check each with coqc.
    #[command(after_help = "Examples:
  stabcert certify                                 the paper's claims into proofs/coq, coqc on each
  stabcert certify my_claims.toml --out target/coq --json
  stabcert certify --only thm1 --no-coqc --out /tmp/coq

Each script's coverage (whole domain, part of it, or none with the reason) is printed per
relation and listed in OUT/INDEX.md.

Exit status:
  0  the scripts were written (whatever coqc said: see the coverage column)
  1  internal error
  2  bad input (the message names the file, line and column) or an unwritable folder")]
    Certify {
        /// claim files or folders of them (default: proofs/paper, else the built-in catalogue)
        paths: Vec<PathBuf>,
        /// the folder the scripts, Stabcert.v and INDEX.md are written to
        #[arg(long, default_value = "proofs/coq", value_name = "DIR")]
        out: PathBuf,
        /// certify only this claim (or chain step); repeatable
        #[arg(long = "only", value_name = "ID")]
        only: Vec<String>,
        /// print JSON instead of the table
        #[arg(long)]
        json: bool,
        /// write the scripts without running coqc
        #[arg(long)]
        no_coqc: bool,
        #[command(flatten)]
        budgets: BudgetArgs,
    },
    /// Audit claims as a report: verdicts, Coq certificates, plots (and, for the built-in
    /// paper, its experiments).
    #[command(after_help = "Examples:
  stabcert audit                                   the built-in paper: claims, plots, experiments
  stabcert audit my_paper/ --plots my_paper/plots.toml --out target/my_audit
  stabcert audit my_paper/claims.toml --quick      a fast first look (small budgets, no coqc)

The report is written to OUT/report.html (self-contained), OUT/report.md, OUT/results.json,
OUT/plots/*.svg and OUT/coq/. The title and header come from the claim files' [paper] table.

Exit status:
  0  the report was written (whatever the verdicts)
  1  internal error
  2  bad input (the message names the file, line and column)")]
    Audit {
        /// claim files or folders of them (default: the built-in paper's catalogue, with its
        /// plots and experiments)
        paths: Vec<PathBuf>,
        /// a plot file: curves, region maps and Monte Carlo runs to draw (the schema of
        /// proofs/audit/paper.toml, documented in docs/claims.md)
        #[arg(long, value_name = "FILE")]
        plots: Option<PathBuf>,
        /// the folder the report is written to
        #[arg(long, default_value = "target/audit", value_name = "DIR")]
        out: PathBuf,
        /// small budgets (tests): at most 100 points and 0.5 s per claim, no coqc, small experiments
        #[arg(long)]
        quick: bool,
        /// master seed of the experiments and Monte Carlo runs
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Monte Carlo divergence of coupled twin SGD runs (see examples/simulate/*.toml).
    #[command(after_help = "Examples:
  stabcert simulate examples/simulate/thm3_nonconvex.toml     a construction against the exact engine
  stabcert simulate my_config.toml --replicas 1000 --seed 2 --json --csv out.csv
  stabcert simulate my_config.toml --shard 1/4 > s1.json    a quarter of the replicas; `stabcert merge`

Data: synthetic, iris, winequality, diabetes, csv (a header line; `target` column), npy
(`targets` file or the last column), or a construction of a claim file.

Exit status:
  0  the runs completed (a replica that produced NaN or infinity is reported, not averaged)
  1  internal error
  2  bad configuration (the message names the file, line and column)")]
    Simulate {
        /// the configuration file (TOML)
        config: PathBuf,
        /// replicas (overrides the file)
        #[arg(long)]
        replicas: Option<u64>,
        /// master seed (overrides the file)
        #[arg(long)]
        seed: Option<u64>,
        /// print one JSON document (checkpoints, means, standard errors, config, seed)
        #[arg(long)]
        json: bool,
        /// also write the checkpoints as CSV to this file
        #[arg(long, value_name = "FILE")]
        csv: Option<PathBuf>,
        /// run shard I of N of the replicas (the I-th contiguous range of stream numbers) and
        /// print them as a JSON shard document for `stabcert merge`
        #[arg(long, value_name = "I/N", value_parser = stabcert::shard::parse_shard,
              conflicts_with_all = ["json", "csv"])]
        shard: Option<stabcert::decide::Shard>,
    },
    /// Write a commented claim-file template, NAME.toml, that checks as it stands.
    #[command(after_help = "Example:
  stabcert new mypaper && stabcert check mypaper.toml

Exit status: 0 written, 2 the file exists (without --force) or cannot be written.")]
    New {
        /// the file to write (NAME.toml; the name is also the [paper] title to replace)
        name: String,
        /// overwrite an existing file
        #[arg(long)]
        force: bool,
    },
    /// Print a shell completion script.
    #[command(after_help = "Examples:
  stabcert completions bash > ~/.local/share/bash-completion/completions/stabcert
  stabcert completions zsh > ~/.zfunc/_stabcert
  stabcert completions fish > ~/.config/fish/completions/stabcert.fish

Exit status: 0 printed, 2 an unknown shell.")]
    Completions {
        /// bash, zsh, fish, elvish or powershell
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), or write one page per command.
    #[command(after_help = "Examples:
  stabcert man | man -l -
  stabcert man --out target/man && man -l target/man/stabcert-check.1

Exit status: 0 printed or written, 2 the folder cannot be written.")]
    Man(ManArgs),
    /// Compare bound expressions symbolically (normal forms, ratios, crossovers, dominance).
    #[command(after_help = "Examples:
  stabcert symbolic ratio \"T^a/n\" \"T/n\" --assume \"a in (0, 1)\"
  stabcert symbolic crossover \"T/(n-1)\" 1 --solve-for T --assume \"n >= 2\"
  stabcert symbolic dominance \"T^a\" \"n\" --as n,T --path \"T = n^2\"
  stabcert symbolic equal \"(x + 1)^2\" \"x^2 + 2*x + 1\" --json

Exit status:
  0  answered (the status says proved, refuted, unknown or unsupported, with the reason)
  1  internal error
  2  bad input (the message names the argument and column)")]
    Symbolic {
        #[command(subcommand)]
        op: SymOp,
        /// a parameter assumption: claim-file syntax ("a in (0, 1)", "n in 2..=100") or an
        /// unbounded range ("n >= 2", "n in [2, inf)", "n in 2.."); parameters not named are
        /// assumed positive; repeatable, and two about one parameter both hold
        #[arg(long = "assume", value_name = "SPEC", global = true)]
        assume: Vec<String>,
        /// print JSON
        #[arg(long, global = true)]
        json: bool,
    },
}

/// Where `stabcert man` puts its pages.
#[derive(clap::Args)]
struct ManArgs {
    /// write stabcert.1 and one page per command (stabcert-check.1, ...) into this folder
    /// instead of printing stabcert.1
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

#[derive(Subcommand)]
enum SymOp {
    /// The monomial normal form (or the smallest equivalent form found by rewriting).
    Simplify {
        /// the expression
        expr: String,
    },
    /// The normal form of A/B.
    Ratio {
        /// numerator
        a: String,
        /// denominator
        b: String,
    },
    /// The exact condition A <= B solved for one variable, with its constant and the
    /// asymptotic statement.
    Crossover {
        /// left side
        a: String,
        /// right side
        b: String,
        /// the variable to solve for
        #[arg(long, value_name = "VAR")]
        solve_for: String,
        /// another growing variable (kept in the asymptotic statement); repeatable
        #[arg(long = "grow", value_name = "VAR")]
        grow: Vec<String>,
    },
    /// Which bound is asymptotically larger as the variables grow, and by which exponent.
    Dominance {
        /// first bound
        a: String,
        /// second bound
        b: String,
        /// the growing variables, comma-separated (e.g. n,T)
        #[arg(long = "as", value_name = "VARS", value_delimiter = ',')]
        vars: Vec<String>,
        /// grow along a path such as "T = n^2"
        #[arg(long)]
        path: Option<String>,
    },
    /// Proved equal, refuted (a point where they differ) or unknown.
    Equal {
        /// first expression
        a: String,
        /// second expression
        b: String,
    },
}

/// `stabcert man`: the roff page of stabcert, or every page into a folder.
fn man_pages(args: &ManArgs) -> Result<String, CliError> {
    use clap::CommandFactory;
    let cmd = Args::command();
    let render = |c: &clap::Command| -> Result<Vec<u8>, CliError> {
        let mut buf = Vec::new();
        clap_mangen::Man::new(c.clone())
            .render(&mut buf)
            .map_err(|e| CliError::Internal(e.to_string()))?;
        Ok(buf)
    };
    let Some(dir) = &args.out else {
        return Ok(String::from_utf8_lossy(&render(&cmd)?).into_owned());
    };
    let err = |e: std::io::Error| CliError::Input(format!("{}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(err)?;
    std::fs::write(dir.join("stabcert.1"), render(&cmd)?).map_err(err)?;
    let mut written = vec!["stabcert.1".to_string()];
    for sub in cmd.get_subcommands() {
        let name = format!("stabcert-{}", sub.get_name());
        let page = sub.clone().name(name.clone());
        std::fs::write(dir.join(format!("{name}.1")), render(&page)?).map_err(err)?;
        written.push(format!("{name}.1"));
    }
    Ok(format!(
        "wrote {} pages into {}: {}",
        written.len(),
        dir.display(),
        written.join(", ")
    ))
}

fn run(args: Args) -> Result<String, CliError> {
    match args.command {
        Command::New { name, force } => cli::new_command(&name, force),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Args::command(), "stabcert", &mut buf);
            Ok(String::from_utf8_lossy(&buf).into_owned())
        }
        Command::Man(m) => man_pages(&m),
        Command::Eval {
            expr,
            sets,
            exact: _,
            digits,
            time_limit,
        } => {
            let mode = digits.map_or(EvalMode::Exact, EvalMode::Digits);
            cli::eval_command(&expr, &sets, mode, Duration::from_secs(time_limit))
        }
        Command::Check {
            paths,
            only,
            shard: Some(shard),
            budgets,
            ..
        } => stabcert::shard::check_shard_command(&paths, &only, &budgets.into(), shard),
        Command::Check {
            paths,
            json,
            only,
            fail_on,
            budgets,
            shard: None,
        } => {
            let fail_on: Vec<Verdict> = fail_on.into_iter().map(Verdict::from).collect();
            let emit = |text: &str| {
                use std::io::Write;
                let mut out = std::io::stdout().lock();
                // a reader that has gone away is handled when the rest is written
                let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
            };
            cli::check_command(&paths, &only, json, &budgets.into(), &fail_on, &emit)
        }
        Command::Certify {
            paths,
            out,
            only,
            json,
            no_coqc,
            budgets,
        } => cli::certify_command(&paths, &only, &out, json, !no_coqc, &budgets.into()),
        Command::Audit {
            paths,
            plots,
            out,
            quick,
            seed,
        } => cli::audit_command(&stabcert::audit::AuditOptions {
            paths,
            plots,
            out,
            quick,
            seed,
        }),
        Command::Simulate {
            config,
            replicas,
            seed,
            shard: Some(shard),
            ..
        } => stabcert::shard::simulate_shard_command(&config, replicas, seed, shard),
        Command::Simulate {
            config,
            replicas,
            seed,
            json,
            csv,
            shard: None,
        } => cli::simulate_command(&config, replicas, seed, json, csv.as_deref()),
        Command::Merge {
            files,
            json,
            fail_on,
        } => {
            let fail_on: Vec<Verdict> = fail_on.into_iter().map(Verdict::from).collect();
            stabcert::shard::merge_command(&files, json, &fail_on)
        }
        Command::Symbolic { op, assume, json } => {
            let op = match op {
                SymOp::Simplify { expr } => cli::SymbolicOp::Simplify(expr),
                SymOp::Ratio { a, b } => cli::SymbolicOp::Ratio(a, b),
                SymOp::Crossover {
                    a,
                    b,
                    solve_for,
                    grow,
                } => cli::SymbolicOp::Crossover(a, b, solve_for, grow),
                SymOp::Dominance { a, b, vars, path } => {
                    cli::SymbolicOp::Dominance(a, b, vars, path)
                }
                SymOp::Equal { a, b } => cli::SymbolicOp::Equal(a, b),
            };
            cli::symbolic_command(&op, &assume, json)
        }
    }
}

/// Stack of the thread that runs a command, and of rayon's workers: expressions may be
/// thousands of levels deep (`expr::MAX_TREE_DEPTH`), and every engine walks them
/// recursively (the evaluators also grow their stacks on demand).
const STACK: usize = 256 << 20;

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(STACK / 4)
        .build_global();
    let worker = std::thread::Builder::new()
        .name("stabcert".into())
        .stack_size(STACK)
        .spawn(move || std::panic::catch_unwind(|| run(args)));
    let result = match worker.map(|h| h.join()) {
        Ok(Ok(r)) => r,
        _ => Err(Box::new("the command thread failed") as Box<dyn std::any::Any + Send>),
    };
    match result {
        Ok(Ok(out)) => write_stdout(out),
        Ok(Err(e)) => {
            // a gate's output in full, then the reason for the exit status
            if let CliError::Gate { output, .. } = &e
                && write_stdout(output.clone()) != ExitCode::SUCCESS
            {
                return ExitCode::from(1);
            }
            eprintln!("stabcert: {e}");
            ExitCode::from(e.exit_code())
        }
        Err(_) => {
            eprintln!("stabcert: internal error (a bug: please report it with the command line)");
            ExitCode::from(1)
        }
    }
}

/// Writes the output, ending with a newline; a reader that has gone away (`stabcert eval
/// ... | head -c 10`) is not an error of ours: stop quietly, as command-line tools do.
fn write_stdout(mut text: String) -> ExitCode {
    use std::io::Write;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stabcert: cannot write the output: {e}");
            ExitCode::from(1)
        }
    }
}

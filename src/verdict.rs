//! The result types every layer shares: a relation's [`Verdict`], what it rests on
//! ([`Coverage`]), the sides at a failing point ([`Side`], [`Counterexample`]), search
//! brackets ([`Bracket`]) and the whole decision about one relation ([`Outcome`]).
//!
//! This module sits at the bottom of the crate: it imports nothing from it, so the engines,
//! the decision engine, the certificates and the reports can all speak of verdicts without
//! importing each other.

use rug::Rational;

/// What a verdict promises (the verdict table in ARCHITECTURE.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Verdict {
    /// holds at every point of the declared domain
    Certified,
    /// rigorously false at an exact point
    Refuted,
    /// the domain was sampled, and no sampled point fails
    NoCounterexample,
    /// some point or box could not be decided; the reason says which
    Undecided,
}

impl Verdict {
    /// The verdict named `s` (as [`Verdict::as_str`] writes it).
    pub fn parse(s: &str) -> Option<Verdict> {
        [
            Verdict::Certified,
            Verdict::Refuted,
            Verdict::NoCounterexample,
            Verdict::Undecided,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }

    /// The verdict's name in tables and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Certified => "certified",
            Verdict::Refuted => "refuted",
            Verdict::NoCounterexample => "no-counterexample",
            Verdict::Undecided => "undecided",
        }
    }
}

/// How much of the domain the verdict rests on.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Coverage {
    /// points evaluated (integer points, and candidate points tested inside real boxes)
    pub points: u64,
    /// real boxes on which interval arithmetic proved the relation
    pub boxes: u64,
    /// whether the whole domain is covered (every integer point, every real box)
    pub exhaustive: bool,
    /// the proven boxes, counted by the method that proved each
    pub methods: std::collections::BTreeMap<ProofMethod, u64>,
}

/// How branch and bound proved a box (counted in [`Coverage::methods`]).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum ProofMethod {
    /// interval enclosures of the two sides separate them
    Enclosure,
    /// the margin is monotone towards a face, bounded there (mean-value form)
    MonotoneFace,
    /// the same on the margin's polynomial form, its terms collected on each face
    PolynomialFace,
    /// convexity around a point where the sides are exactly equal
    Convexity,
    /// a Taylor form at an end where the sides are exactly equal
    Taylor,
    /// a multiplier of a `where` constraint the box crosses
    Multiplier,
    /// monotonicity on the tail next to a pole at an excluded end
    PoleTail,
    /// no point of the box is in the domain
    Outside,
    /// a decision procedure for real algebra (z3's nlsat) found no point of the region
    /// where the relation fails, every divisor non-zero there
    RealAlgebra,
    /// the sides are the same function of the real parameters at this integer point (the
    /// symbolic engine, after sums and products with constant bounds are written out)
    Identity,
}

impl ProofMethod {
    /// The name in the JSON output (`coverage.methods`).
    pub fn as_str(self) -> &'static str {
        match self {
            ProofMethod::Enclosure => "enclosure",
            ProofMethod::MonotoneFace => "monotone-face",
            ProofMethod::PolynomialFace => "polynomial-face",
            ProofMethod::Convexity => "convexity",
            ProofMethod::Taylor => "taylor",
            ProofMethod::Multiplier => "multiplier",
            ProofMethod::PoleTail => "pole-tail",
            ProofMethod::Outside => "outside-domain",
            ProofMethod::RealAlgebra => "real-algebra",
            ProofMethod::Identity => "identity",
        }
    }

    /// Whether it proves where the sides touch (worth naming in a one-line evidence).
    pub fn touching(self) -> bool {
        matches!(
            self,
            ProofMethod::Convexity
                | ProofMethod::Taylor
                | ProofMethod::Multiplier
                | ProofMethod::PoleTail
                | ProofMethod::PolynomialFace
                | ProofMethod::RealAlgebra
                | ProofMethod::Identity
        )
    }

    /// In words, for the evidence column.
    pub fn words(self) -> &'static str {
        match self {
            ProofMethod::Enclosure => "by enclosures",
            ProofMethod::MonotoneFace => "by monotone faces",
            ProofMethod::PolynomialFace => "by polynomial faces",
            ProofMethod::Convexity => "by convexity at a touching point",
            ProofMethod::Taylor => "by Taylor forms at a touching point",
            ProofMethod::Multiplier => "by constraint multipliers",
            ProofMethod::PoleTail => "by monotonicity next to a pole",
            ProofMethod::Outside => "outside the constraints",
            ProofMethod::RealAlgebra => "by real algebra on the whole region (z3's nlsat)",
            ProofMethod::Identity => "as identities on the whole region (symbolic engine)",
        }
    }
}

/// The value of one side at a point.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Side {
    /// exact value
    Exact(Rational),
    /// rigorous enclosure `[lo, hi]` (exact rational ends)
    Enclosure(Rational, Rational),
    /// the side has no value there (division by zero, …)
    Undefined(String),
}

/// A point where the relation fails, with both sides.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Counterexample {
    /// parameter values in declaration order
    pub point: Vec<(String, Rational)>,
    /// left side there
    pub lhs: Side,
    /// right side there
    pub rhs: Side,
}

/// A rigorous bracket found by a search.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Bracket {
    /// the searched parameter or constant
    pub param: String,
    /// lower end (exact)
    pub lo: Rational,
    /// upper end (exact)
    pub hi: Rational,
    /// the point where the relation fails at the failing end (the witness)
    pub witness: Vec<(String, Rational)>,
    /// what the bracket means, in words
    pub meaning: String,
    /// the end at which the relation holds (a threshold's good end; a best constant's
    /// value for the verdict), `lo` or `hi`
    pub safe: Rational,
    /// whether the relation was decided on the whole domain at the safe end (not only at
    /// sampled points)
    pub safe_exhaustive: bool,
}

/// The decision about one relation (a `holds`, a chain's conclusion, or one chain step).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Outcome {
    /// claim id, or `<id>.step<k>` for a chain step
    pub id: String,
    /// the paper's label
    pub source: String,
    /// the relation decided, printed in the expression language
    pub relation: String,
    /// file the claim came from
    pub file: String,
    /// the verdict
    pub verdict: Verdict,
    /// what it rests on
    pub coverage: Coverage,
    /// the minimal failing point, when refuted
    pub counterexample: Option<Counterexample>,
    /// how many evaluated points fail
    pub failures: u64,
    /// why the verdict is not stronger (undecided), or what else the reader must know
    pub reasons: Vec<Reason>,
    /// `threshold` search result
    pub threshold: Option<Bracket>,
    /// `best_constant` search result
    pub best_constant: Option<Bracket>,
    /// what the independent kernel re-checked (filled by the caller)
    pub kernel: Option<String>,
    /// the path of the Coq script that proves the verdict (filled by the caller)
    pub certificate: Option<String>,
    /// decided by the symbolic engine (a `[[symbolic]]` table): the reason is the evidence
    pub symbolic: bool,
}

impl Outcome {
    /// The reasons as one message (`; ` between them), as tables and JSON print it.
    pub fn reason(&self) -> Option<String> {
        if self.reasons.is_empty() {
            None
        } else {
            Some(
                self.reasons
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        }
    }
}

/// A point: parameter values in declaration order.
pub type Point = Vec<(String, Rational)>;

/// `n=5, T=100`, the way reasons and tables print a point.
pub fn fmt_point(p: &[(String, Rational)]) -> String {
    p.iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `at n=5` for a point, `at -` for none (the way box reasons name their integer point).
fn at_or_dash(p: &[(String, Rational)]) -> String {
    if p.is_empty() {
        "-".into()
    } else {
        fmt_point(p)
    }
}

/// One dimension of a real box: a parameter's range, or its value when `lo == hi`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BoxSide {
    /// the real parameter
    pub name: String,
    /// lower end
    pub lo: Rational,
    /// upper end
    pub hi: Rational,
}

/// `a in [0.1, 0.2], b=3`: a box in reasons, ends to 6 significant digits.
pub fn fmt_box(bx: &[BoxSide]) -> String {
    bx.iter()
        .map(|d| {
            if d.lo == d.hi {
                format!("{}={}", d.name, d.lo)
            } else {
                format!(
                    "{} in [{}, {}]",
                    d.name,
                    crate::decimal::approx(&d.lo, 6),
                    crate::decimal::approx(&d.hi, 6)
                )
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which budget ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BudgetKind {
    /// the most boxes examined per relation and integer point
    Boxes,
    /// the wall-clock allowance of the claim
    Time,
}

impl BudgetKind {
    fn name(self) -> &'static str {
        match self {
            BudgetKind::Boxes => "box budget",
            BudgetKind::Time => "time budget",
        }
    }
}

/// Why the values of an enumerated parameter could not be listed.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum DomainError {
    /// a bound has no exact value (the exact engine's message)
    Eval(String),
    /// the range has more values than the point budget allows
    TooManyValues {
        /// values in the range
        count: rug::Integer,
        /// the point budget per claim
        max_points: u64,
    },
    /// a real interval where an enumerable domain was expected
    RealInterval,
}

impl std::fmt::Display for DomainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DomainError::Eval(m) => write!(f, "{m}"),
            DomainError::TooManyValues { count, max_points } => write!(
                f,
                "{count} values exceed the point budget ({max_points} points per claim); add `sample N` to sample the range"
            ),
            DomainError::RealInterval => write!(f, "a real interval cannot be enumerated"),
        }
    }
}

/// Why a point, a box, a relation or a search is undecided or stopped, or what else the
/// reader of a verdict must know. [`Display`](std::fmt::Display) gives the message of the
/// tables, the report and the JSON output.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Reason {
    /// a reason that arose at a point
    AtPoint {
        /// the point
        point: Point,
        /// what happened there
        why: Box<Reason>,
    },
    /// the first of several undecided points or boxes
    AndMore {
        /// the first one
        first: Box<Reason>,
        /// how many more
        more: u64,
    },
    /// the sweep reached its point budget
    PointBudget {
        /// points per claim
        max_points: u64,
    },
    /// the sweep reached its time budget
    TimeBudget {
        /// the allowance per claim
        limit: std::time::Duration,
        /// points evaluated by then
        points: u64,
    },
    /// an enumeration (of a search) ran out of points or time
    EnumerationBudget,
    /// an enumeration was stopped by its visitor
    StoppedByVisitor,
    /// a parameter's values could not be listed
    Domain {
        /// the parameter
        param: String,
        /// the values of the earlier parameters (empty: at the start)
        at: Point,
        /// why
        error: DomainError,
    },
    /// a real parameter's interval has an end that is not rational
    RealEnds {
        /// the parameter
        param: String,
        /// the values of the enumerated parameters
        at: Point,
        /// the exact engine's message
        error: String,
    },
    /// a domain bound uses a real parameter
    RealDependentDomain {
        /// the parameter whose domain it is
        param: String,
        /// the real parameter it uses
        real: String,
    },
    /// a `where` constraint could not be decided at the point, so it is not known to be part
    /// of the domain
    ConstraintUnchecked {
        /// the constraint, as written
        condition: String,
        /// why
        why: Box<Reason>,
    },
    /// a constraint of the domain (a `where` relation, or a dependent bound) passes through
    /// a box that no enclosure decides: on the part inside the domain the relation may touch
    /// the constraint's boundary
    ConstraintFace {
        /// the integer point
        at: Point,
        /// the box
        open: Vec<BoxSide>,
    },
    /// a construction's condition fails at the point
    GuardFails {
        /// the condition, as written
        condition: String,
    },
    /// a construction's condition could not be decided at the point
    GuardUnchecked {
        /// the condition, as written
        condition: String,
        /// why
        why: Box<Reason>,
    },
    /// a limit of an evaluation engine
    EngineBudget(crate::engine::exact::BudgetError),
    /// the enclosures of the two sides overlap at the largest precision
    NotSeparated {
        /// lower and upper end of the left side, 8 significant digits
        lhs: (String, String),
        /// lower and upper end of the right side
        rhs: (String, String),
        /// the precision in bits
        prec: u32,
    },
    /// an evaluation failed at the largest precision (the engine's message)
    EvalFailed {
        /// the message
        error: String,
        /// the precision in bits
        prec: u32,
    },
    /// branch and bound ran out of a budget with a box still open
    BoxOpen {
        /// which budget
        budget: BudgetKind,
        /// the integer point
        at: Point,
        /// the open box
        open: Vec<BoxSide>,
    },
    /// no tested point of a real box separates the sides, and no box was proven
    LikelyIdentity {
        /// the integer point
        at: Point,
        /// how many points were tested
        probes: u64,
        /// the whole box
        root: Vec<BoxSide>,
        /// why the last point was undecided
        why: Box<Reason>,
    },
    /// a box at the depth limit, or shrunk to a point, that intervals cannot decide
    BoxUndecidable {
        /// the integer point
        at: Point,
        /// the box
        open: Vec<BoxSide>,
        /// whether the two sides were found exactly equal at a point of the box (a touching
        /// point, where enclosures never separate them)
        touching: bool,
    },
    /// the two sides have the same exact value at the point
    SidesEqual,
    /// an equality on a real box was tested at only part of its sample grid: the time
    /// budget ran out
    SampleCut {
        /// grid points tested
        tested: u64,
        /// grid points planned
        planned: u64,
        /// the time allowance of the claim
        limit: std::time::Duration,
    },
    /// boxes next to an excluded end of a real parameter's domain, where a side has no
    /// value, get no enclosure
    UndefinedAtExcludedEnd {
        /// the integer point
        at: Point,
        /// the real parameter
        param: String,
        /// the excluded end
        end: Rational,
        /// the box still open
        open: Vec<BoxSide>,
    },
    /// the domain has no points
    NoPoints,
    /// a search ran out of time
    SearchTime,
    /// a search could not decide the claim at a value and stopped there
    SearchStuck {
        /// the searched parameter or constant
        param: String,
        /// the value
        value: Rational,
    },
    /// a threshold search needs a range with constant ends
    ThresholdNeedsConstantEnds(String),
    /// a threshold search needs a range
    ThresholdNeedsRange(String),
    /// the relation holds at both ends of the searched range
    ThresholdHoldsAtBothEnds(String),
    /// the relation fails at both ends of the searched range
    ThresholdFailsAtBothEnds(String),
    /// the relation could not be decided at an end of the searched range
    ThresholdUndecidedEnd(String),
    /// no probed value of a constant both holds and fails
    BestConstantNotBracketed(String),
    /// the verdict shown is the one with the constant at the safe end of its bracket
    SafeEnd {
        /// the constant
        constant: String,
        /// its value there
        value: Rational,
    },
    /// the evidence of the symbolic engine
    Symbolic(String),
    /// certified on the real interval between the ends of these sampled integer ranges
    Relaxed {
        /// the parameters
        params: Vec<String>,
    },
    /// why a relation that held at every value tested is only `no-counterexample`: these
    /// integer parameters were sampled, and relaxing them to real intervals did not prove it
    SampledOnly {
        /// the sampled parameters
        params: Vec<String>,
        /// why the relaxation did not certify
        why: Unrelaxed,
    },
    /// an equality over real parameters, tested at sample points of each box: enclosures
    /// never prove an equality, and no identity proof of its sides was found
    EqualitySampled {
        /// the real parameters
        params: Vec<String>,
    },
    /// the decision procedure for real algebra gave no answer (not installed, out of time, a
    /// divisor that may vanish)
    Algebra(String),
}

/// Why sampled integer ranges were not relaxed to real intervals, or why that did not
/// certify the relation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Unrelaxed {
    /// a sampled parameter bounds a sum or product or gives a recurrence's length, where
    /// only integers have a meaning
    Integral,
    /// the relaxed relation was decided and not certified
    NotProven,
    /// a threshold or best-constant search (its bracket rests on the sampled values)
    Search,
    /// the claim's time allowance was used up first
    NoTime,
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use Reason::*;
        match self {
            AtPoint { point, why } => write!(f, "at {}: {why}", fmt_point(point)),
            AndMore { first, more } => {
                write!(f, "{first} (and {more} more undecided points or boxes)")
            }
            PointBudget { max_points } => write!(f, "point budget of {max_points} exhausted"),
            TimeBudget { limit, points } => write!(
                f,
                "time budget of {limit:?} exhausted after {points} points"
            ),
            EnumerationBudget => write!(f, "point or time budget exhausted"),
            StoppedByVisitor => write!(f, "stopped by the visitor"),
            Domain { param, at, error } => write!(
                f,
                "the domain of `{param}` at {}: {error}",
                if at.is_empty() {
                    "the start".to_string()
                } else {
                    fmt_point(at)
                }
            ),
            RealEnds { param, at, error } => write!(
                f,
                "the interval of `{param}` at {}: its ends must be rational ({error})",
                fmt_point(at)
            ),
            RealDependentDomain { param, real } => write!(
                f,
                "the domain of `{param}` depends on the real parameter `{real}`: integer parameters are enumerated before the real ones, so their domains may use only integer parameters (a real parameter's domain may use earlier real parameters)"
            ),
            ConstraintUnchecked { condition, why } => write!(
                f,
                "whether the point satisfies the constraint {condition} could not be decided ({why})"
            ),
            ConstraintFace { at, open } => write!(
                f,
                "at {}: box {} crosses the boundary of the constrained domain and interval arithmetic cannot decide the part inside it",
                at_or_dash(at),
                fmt_box(open)
            ),
            GuardFails { condition } => write!(
                f,
                "the construction's quantities need that {condition}, which fails here"
            ),
            GuardUnchecked { condition, why } => write!(
                f,
                "the construction's condition that {condition} could not be checked ({why})"
            ),
            EngineBudget(m) => write!(f, "{m}"),
            NotSeparated { lhs, rhs, prec } => write!(
                f,
                "lhs in [{}, {}] and rhs in [{}, {}] are not separated at {prec} bits (they may be equal)",
                lhs.0, lhs.1, rhs.0, rhs.1
            ),
            EvalFailed { error, prec } => write!(f, "{error} (at {prec} bits)"),
            BoxOpen { budget, at, open } => write!(
                f,
                "{} at {}: box {} still open when the {} ran out",
                budget.name(),
                at_or_dash(at),
                fmt_box(open),
                budget.name()
            ),
            LikelyIdentity {
                at,
                probes,
                root,
                why,
            } => write!(
                f,
                "at {}: the sides could not be separated at any of {probes} tested points of {} ({why}); they may be identical there",
                at_or_dash(at),
                fmt_box(root)
            ),
            BoxUndecidable { at, open, touching } => write!(
                f,
                "at {}: box {} cannot be decided by interval arithmetic ({})",
                at_or_dash(at),
                fmt_box(open),
                if *touching {
                    "the sides are exactly equal at a point of it, and no form of the margin proves it there"
                } else {
                    "its enclosures do not separate the sides; no point where they are equal was found in it"
                }
            ),
            SidesEqual => write!(f, "the sides are exactly equal there"),
            SampleCut {
                tested,
                planned,
                limit,
            } => write!(
                f,
                "the time budget of {limit:?} ran out after {tested} of the {planned} sample points of the equality"
            ),
            UndefinedAtExcludedEnd {
                at,
                param,
                end,
                open,
            } => write!(
                f,
                "at {}: box {} is still open: `{param}` = {end} is an excluded end of its domain where a side has no value (a pole, or a logarithm of 0), and interval arithmetic gets no enclosure next to it",
                at_or_dash(at),
                fmt_box(open)
            ),
            NoPoints => write!(f, "the domain has no points"),
            SearchTime => write!(f, "time budget exhausted during the search"),
            SearchStuck { param, value } => write!(
                f,
                "the claim could not be decided at {param} = {value}; the bracket stops there"
            ),
            ThresholdNeedsConstantEnds(p) => {
                write!(f, "threshold search needs constant ends for `{p}`")
            }
            ThresholdNeedsRange(p) => write!(f, "threshold search needs a range for `{p}`"),
            ThresholdHoldsAtBothEnds(p) => write!(
                f,
                "threshold: the relation holds at both ends of `{p}`'s range; no threshold inside it"
            ),
            ThresholdFailsAtBothEnds(p) => write!(
                f,
                "threshold: the relation fails at both ends of `{p}`'s range"
            ),
            ThresholdUndecidedEnd(p) => write!(
                f,
                "threshold: the relation could not be decided at an end of `{p}`'s range"
            ),
            BestConstantNotBracketed(k) => write!(
                f,
                "best_constant: no value of `{k}` between -2^80 and 2^80 was found both holding and failing"
            ),
            SafeEnd { constant, value } => write!(
                f,
                "verdict with {constant} = {value}, the safe end of its bracket"
            ),
            Symbolic(m) => write!(f, "{m}"),
            Algebra(m) => write!(f, "real algebra: {m}"),
            SampledOnly { params, why } => write!(
                f,
                "{} {} sampled (a `sample` range): only the values tested are covered, and {}",
                ticks(params),
                if params.len() == 1 { "is" } else { "are" },
                match why {
                    Unrelaxed::Integral =>
                        "relaxing to a real interval has no meaning here (it bounds a sum, a product or a recurrence)",
                    Unrelaxed::NotProven =>
                        "relaxed to a real interval between the range's ends, the relation was not proven",
                    Unrelaxed::Search => "a search is not relaxed to real values",
                    Unrelaxed::NoTime => "no time was left to relax it to a real interval",
                }
            ),
            EqualitySampled { params } => write!(
                f,
                "an equality over the real {} {}: tested at sample points of each box (enclosures never prove an equality), and no identity proof of its sides was found",
                if params.len() == 1 {
                    "parameter"
                } else {
                    "parameters"
                },
                ticks(params)
            ),
            Relaxed { params } => write!(
                f,
                "proved for every real value of {} between the ends of its sampled range, so for every integer",
                ticks(params)
            ),
        }
    }
}

/// Names in backticks, separated by commas.
fn ticks(names: &[String]) -> String {
    names
        .iter()
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

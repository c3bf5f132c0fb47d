//! Coupled twin SGD runs and their Monte Carlo summary.
//!
//! A replica draws, from its own ChaCha8 stream (seed `seed`, stream = replica number), an
//! initialisation `w_F` and an index sequence, and runs SGD from `w_F` on `S` and on `S'`
//! with those same indices (the coupling of the stability analysis). Until the differing
//! example is first drawn both runs perform the same floating-point operations on the same
//! values, so they are bitwise equal and only one is computed; at the first draw the state
//! is copied. Replicas are run in parallel with rayon and collected in replica order, so
//! every figure is independent of the number of threads.

use super::data::{Data, Twin, normal};
use super::model::{Model, Scratch};
use crate::construction::Sampling;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

/// How `w_F` is drawn (the same for both runs of a replica).
#[derive(Clone, Debug, PartialEq)]
pub enum Init {
    /// this vector (e.g. a trained model, perturbed)
    Given(std::sync::Arc<Vec<f64>>),
    /// `w_F = 0`
    Zeros,
    /// every coordinate `N(0, sd²)`
    Gaussian(f64),
    /// weights `N(0, 1/fan_in)`, biases 0 (the MLP's usual scaling; `N(0, 1/d)` for the
    /// linear models)
    Scaled,
}

/// One fully specified twin experiment.
#[derive(Clone, Debug)]
pub struct Sim {
    /// the loss
    pub model: Model,
    /// the dataset S
    pub data: Data,
    /// how S' differs from S
    pub twin: Twin,
    /// step size of each step: `alphas[k]` is α at time `first_step + k`
    pub alphas: Vec<f64>,
    /// the time of the first step (1 in the paper's convention)
    pub first_step: u64,
    /// heavy-ball momentum μ: `v ← μ v + g`, `w ← w - α v` (0 = plain SGD)
    pub momentum: f64,
    /// examples per step (their gradients averaged)
    pub batch: usize,
    /// with replacement, or a fresh permutation every n draws
    pub sampling: Sampling,
    /// how `w_F` is drawn
    pub init: Init,
    /// index in S of the example z of `|f(w; z) - f(w'; z)|`
    pub probe: usize,
    /// step counts after which the distances are recorded (sorted, distinct, each at most
    /// `alphas.len()`)
    pub checkpoints: Vec<usize>,
    /// compute one run until the differing example is first drawn (the two are bitwise
    /// equal until then); `false` computes both from the start, which gives the same bits
    /// (tested) at up to twice the cost
    pub share_until_split: bool,
}

/// What one replica measured.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplicaOut {
    /// `||w - w'||` at each checkpoint reached
    pub dist: Vec<f64>,
    /// `|f(w; z) - f(w'; z)|` at each checkpoint reached
    pub probe: Vec<f64>,
    /// `||w||` (the run on S) at each checkpoint reached
    pub norm: Vec<f64>,
    /// per parameter block of [`Model::layers`], `(||w_l - w'_l||, ||w_l||)` at each
    /// checkpoint reached
    pub layers: Vec<Vec<(f64, f64)>>,
    /// the first step count after which a parameter, the distance or the loss difference
    /// was NaN or infinite
    pub non_finite: Option<usize>,
}

/// Mean, standard deviation, standard error and the 95% confidence interval of the mean
/// (Student's t with R - 1 degrees of freedom) of a sample.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Stat {
    /// sample mean
    pub mean: f64,
    /// sample standard deviation (divisor R - 1)
    pub sd: f64,
    /// standard error of the mean, sd / sqrt(R)
    pub se: f64,
    /// mean - t se, where t is the 97.5% quantile of Student's t with R - 1 degrees of
    /// freedom (12.71 for R = 2, 2.26 for R = 10, 1.98 for R = 100); never below 0 for a
    /// quantity that cannot be negative ([`Stat::of_nonnegative`])
    pub lo: f64,
    /// mean + t se
    pub hi: f64,
}

impl Stat {
    /// The statistics of `xs`, summed in order (deterministic).
    pub fn of(xs: &[f64]) -> Stat {
        let r = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / r;
        let var = if xs.len() > 1 {
            xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (r - 1.0)
        } else {
            0.0
        };
        let sd = var.sqrt();
        let se = sd / r.sqrt();
        let t = if xs.len() > 1 {
            t_quantile_975(xs.len() as u64 - 1)
        } else {
            0.0
        };
        Stat {
            mean,
            sd,
            se,
            lo: mean - t * se,
            hi: mean + t * se,
        }
    }

    /// [`Stat::of`] for a quantity that cannot be negative (a distance, an absolute
    /// difference): the interval's lower end is at least 0.
    pub fn of_nonnegative(xs: &[f64]) -> Stat {
        let s = Stat::of(xs);
        Stat {
            lo: s.lo.max(0.0),
            ..s
        }
    }
}

/// `ln Γ(x)` for x > 0 (Lanczos, g = 7, 9 terms: relative error below 1e-14).
fn ln_gamma(x: f64) -> f64 {
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    let x = x - 1.0;
    let mut a = C[0];
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    let t = x + 7.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The continued fraction of the incomplete beta function (modified Lentz).
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=10_000 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// The regularized incomplete beta function I_x(a, b).
fn inc_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let bt = (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        bt * beta_cf(a, b, x) / a
    } else {
        1.0 - bt * beta_cf(b, a, 1.0 - x) / b
    }
}

/// The 97.5% quantile of Student's t with `df` >= 1 degrees of freedom (the half-width of a
/// 95% interval in standard errors), by bisection on the upper tail
/// P(T > t) = I_{df/(df+t^2)}(df/2, 1/2) / 2; the normal quantile beyond 10^7.
pub fn t_quantile_975(df: u64) -> f64 {
    if df >= 10_000_000 {
        return 1.959_963_984_540_054;
    }
    let v = df as f64;
    let tail = |t: f64| 0.5 * inc_beta(v / 2.0, 0.5, v / (v + t * t));
    let (mut lo, mut hi) = (0.0f64, 1000.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if tail(mid) > 0.025 {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-13 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// The Monte Carlo summary at one checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Checkpoint {
    /// SGD steps taken
    pub step: usize,
    /// the time index `T = first_step + step` (the exact engine's `T`)
    pub time: u64,
    /// `E||w_T - w'_T||` over the replicas still finite here; absent when none is
    pub dist: Option<Stat>,
    /// `E|f(w_T; z) - f(w'_T; z)|`, likewise
    pub probe: Option<Stat>,
    /// replicas averaged: those whose parameters are still finite at this checkpoint
    pub replicas: usize,
    /// replicas whose parameters were not finite by this checkpoint
    pub non_finite: usize,
}

/// Where a replica first produced NaN or infinity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct NonFinite {
    /// the replica (its stream number)
    pub replica: u64,
    /// the step count after which a parameter was first not finite
    pub step: usize,
}

/// A Monte Carlo run's result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// the master seed
    pub seed: u64,
    /// the number of replicas
    pub replicas: u64,
    /// per checkpoint, in order
    pub checkpoints: Vec<Checkpoint>,
    /// every replica that went non-finite, in replica order
    pub non_finite: Vec<NonFinite>,
}

/// Most replicas the lockstep engine ([`Sim::run_lanes`]) advances together on one thread
/// (their step coefficients, up to twice as many with the twin runs, fill an AVX-512
/// register); [`Sim::lanes`] chooses how many.
pub const LANES: usize = 8;

/// Draws indices: uniformly with replacement, or by walking fresh permutations.
struct Sampler {
    n: usize,
    perm: Vec<usize>,
    pos: usize,
    sampling: Sampling,
}

impl Sampler {
    fn new(n: usize, sampling: Sampling) -> Sampler {
        Sampler {
            n,
            perm: (0..n).collect(),
            pos: n,
            sampling,
        }
    }

    fn next(&mut self, rng: &mut ChaCha8Rng) -> usize {
        match self.sampling {
            Sampling::WithReplacement => rng.gen_range(0..self.n),
            Sampling::Reshuffle => {
                if self.pos == self.n {
                    self.perm.iter_mut().enumerate().for_each(|(i, p)| *p = i);
                    for i in (1..self.n).rev() {
                        let j = rng.gen_range(0..=i);
                        self.perm.swap(i, j);
                    }
                    self.pos = 0;
                }
                self.pos += 1;
                self.perm[self.pos - 1]
            }
        }
    }
}

/// A replica in progress.
struct State {
    rng: ChaCha8Rng,
    a: Run,
    b: Option<Run>,
    s: Scratch,
    sampler: Sampler,
    idx: Vec<usize>,
    next: Vec<usize>,
    out: ReplicaOut,
    next_cp: usize,
    each_step: bool,
    done: bool,
}

/// One run's state.
struct Run {
    w: Vec<f64>,
    v: Vec<f64>,
    g: Vec<f64>,
}

impl Sim {
    /// The initialisation of a replica, drawn from its stream.
    fn init(&self, rng: &mut ChaCha8Rng) -> Vec<f64> {
        let p = self.model.dim();
        match &self.init {
            Init::Given(w) => w.to_vec(),
            Init::Zeros => vec![0.0; p],
            Init::Gaussian(sd) => (0..p).map(|_| sd * normal(rng)).collect(),
            Init::Scaled => match &self.model {
                Model::Mlp {
                    d, hidden, classes, ..
                } => {
                    let (d, h, k) = (*d, *hidden, *classes);
                    let mut w = vec![0.0; p];
                    let s1 = 1.0 / (d as f64).sqrt();
                    let s2 = 1.0 / (h as f64).sqrt();
                    for v in &mut w[..h * d] {
                        *v = s1 * normal(rng);
                    }
                    for v in &mut w[h * d + h..h * d + h + k * h] {
                        *v = s2 * normal(rng);
                    }
                    w
                }
                m => {
                    let s = 1.0 / (m.input_dim() as f64).sqrt();
                    (0..p).map(|_| s * normal(rng)).collect()
                }
            },
        }
    }

    fn example<'a>(&'a self, xs: &'a [f64], i: usize, twin: bool) -> (&'a [f64], f64) {
        if twin && i == self.twin.index {
            (self.twin.x.as_slice().expect("contiguous"), self.twin.y)
        } else if twin && let Some((_, x, y)) = self.twin.others.iter().find(|o| o.0 == i) {
            (x.as_slice().expect("contiguous"), *y)
        } else {
            let d = self.data.d();
            (&xs[i * d..(i + 1) * d], self.data.y[i])
        }
    }

    /// One SGD step of one run on the examples `idx`.
    fn update(&self, run: &mut Run, idx: &[usize], alpha: f64, twin: bool, s: &mut Scratch) {
        let xs = self.data.x.as_slice().expect("standard layout");
        if idx.len() == 1 && self.momentum == 0.0 {
            let (x, y) = self.example(xs, idx[0], twin);
            self.model.step(&mut run.w, x, y, -alpha, s);
            return;
        }
        run.g.iter_mut().for_each(|v| *v = 0.0);
        let scale = 1.0 / idx.len() as f64;
        for &i in idx {
            let (x, y) = self.example(xs, i, twin);
            self.model.add_grad(&run.w, x, y, scale, &mut run.g, s);
        }
        if self.momentum != 0.0 {
            for (v, g) in run.v.iter_mut().zip(&run.g) {
                *v = self.momentum * *v + g;
            }
            super::kernels::axpy(-alpha, &run.v, &mut run.w);
        } else {
            super::kernels::axpy(-alpha, &run.g, &mut run.w);
        }
    }

    /// Runs replica `replica` of master seed `seed`: both coupled runs, the distances at
    /// every checkpoint, stopping at the first checkpoint where something is not finite
    /// (then run again step by step to find the first step where it appeared).
    pub fn run_replica(&self, seed: u64, replica: u64) -> ReplicaOut {
        let out = self.run(seed, replica, false);
        if out.non_finite.is_some() {
            return self.run(seed, replica, true);
        }
        out
    }

    fn run(&self, seed: u64, replica: u64, each_step: bool) -> ReplicaOut {
        let mut st = self.start(seed, replica, each_step);
        for k in 0..self.steps() {
            if st.done {
                break;
            }
            self.advance(&mut st, k);
        }
        st.out
    }

    fn steps(&self) -> usize {
        self.checkpoints.last().copied().unwrap_or(0)
    }

    /// A replica before its first step: initialisation and the first indices drawn.
    fn start(&self, seed: u64, replica: u64, each_step: bool) -> State {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(replica);
        let p = self.model.dim();
        let w0 = self.init(&mut rng);
        let mut sampler = Sampler::new(self.data.n(), self.sampling);
        // indices are drawn one step ahead (the same draws in the same order) so that the
        // next step's examples can be prefetched while this step computes
        let next: Vec<usize> = (0..self.batch).map(|_| sampler.next(&mut rng)).collect();
        State {
            rng,
            a: Run {
                w: w0,
                v: vec![0.0; p],
                g: vec![0.0; p],
            },
            b: None,
            s: self.model.scratch(),
            sampler,
            idx: vec![0; self.batch],
            next,
            out: ReplicaOut {
                dist: Vec::with_capacity(self.checkpoints.len()),
                probe: Vec::with_capacity(self.checkpoints.len()),
                norm: Vec::with_capacity(self.checkpoints.len()),
                layers: Vec::with_capacity(self.checkpoints.len()),
                non_finite: None,
            },
            next_cp: 0,
            each_step,
            done: false,
        }
    }

    /// Step `k` (0-based) of a replica, and its checkpoint if one falls there.
    fn advance(&self, st: &mut State, k: usize) {
        self.draw(st, k, true);
        let alpha = self.alphas[k];
        self.update(&mut st.a, &st.idx, alpha, false, &mut st.s);
        if let Some(b) = st.b.as_mut() {
            self.update(b, &st.idx, alpha, true, &mut st.s);
        }
        self.after_step(st, k);
    }

    /// Before step `k`: its examples (drawn one step ahead, the next step's prefetched), and
    /// the twin run copied from the first where it starts.
    fn draw(&self, st: &mut State, k: usize, prefetch: bool) {
        self.draw_index(st, k, prefetch);
        self.start_twin(st);
    }

    /// The indices of step `k` become current, and the next step's are drawn.
    fn draw_index(&self, st: &mut State, k: usize, prefetch: bool) {
        let xs = self.data.x.as_slice().expect("standard layout");
        let ys = self.data.y.as_slice().expect("contiguous");
        let d = self.data.d();
        std::mem::swap(&mut st.idx, &mut st.next);
        if k + 1 < self.steps() {
            for i in st.next.iter_mut() {
                *i = st.sampler.next(&mut st.rng);
                if prefetch {
                    super::kernels::prefetch(&xs[*i * d..(*i + 1) * d]);
                    super::kernels::prefetch(&ys[*i..*i + 1]);
                }
            }
        }
    }

    /// The twin run starts (a copy of the first) at the current step if it has not yet:
    /// from the first step with `full_twin`, else where the differing example is drawn.
    fn start_twin(&self, st: &mut State) {
        if st.b.is_none()
            && (!self.share_until_split || st.idx.iter().any(|&i| self.twin.differs_at(i)))
        {
            st.b = Some(Run {
                w: st.a.w.clone(),
                v: st.a.v.clone(),
                g: vec![0.0; st.a.w.len()],
            });
        }
    }

    /// After step `k`: the checkpoint's measurements if one falls there (every step with
    /// `each_step`), and the stop at the first value that is not finite.
    #[inline]
    fn after_step(&self, st: &mut State, k: usize) {
        if st.each_step || k + 1 == self.checkpoints[st.next_cp] {
            self.measure_step(st, k);
        }
    }

    /// [`Sim::after_step`] at a step that measures (kept out of line: most steps do not).
    #[inline(never)]
    fn measure_step(&self, st: &mut State, k: usize) {
        let xs = self.data.x.as_slice().expect("standard layout");
        let at_cp = k + 1 == self.checkpoints[st.next_cp];
        let z = self.example(xs, self.probe, false);
        let (dist, probe) = self.measure(&st.a, st.b.as_ref(), z, &mut st.s);
        if !(dist.is_finite()
            && probe.is_finite()
            && finite(&st.a.w)
            && st.b.as_ref().is_none_or(|b| finite(&b.w)))
        {
            st.out.non_finite = Some(k + 1);
            st.done = true;
            return;
        }
        if at_cp {
            st.out.dist.push(dist);
            st.out.probe.push(probe);
            let w = &st.a.w;
            st.out
                .norm
                .push(w.iter().map(|v| v * v).sum::<f64>().sqrt());
            let layers = self
                .model
                .layers()
                .into_iter()
                .map(|(_, r)| {
                    let wl = &w[r.clone()];
                    let norm = wl.iter().map(|v| v * v).sum::<f64>().sqrt();
                    let dist = match &st.b {
                        None => 0.0,
                        Some(b) => wl
                            .iter()
                            .zip(&b.w[r])
                            .map(|(x, y)| (x - y) * (x - y))
                            .sum::<f64>()
                            .sqrt(),
                    };
                    (dist, norm)
                })
                .collect();
            st.out.layers.push(layers);
            st.next_cp += 1;
        }
    }

    /// The parameters of the run on S after each checkpoint (replica `replica` of seed
    /// `seed`), and the replica's measurements; the trajectory stops where they stop being
    /// finite.
    pub fn trajectory(&self, seed: u64, replica: u64) -> (Vec<Vec<f64>>, ReplicaOut) {
        let mut st = self.start(seed, replica, false);
        let mut snaps = Vec::with_capacity(self.checkpoints.len());
        for k in 0..self.steps() {
            if st.done {
                break;
            }
            let before = st.next_cp;
            self.advance(&mut st, k);
            if st.next_cp > before {
                snaps.push(st.a.w.clone());
            }
        }
        (snaps, st.out)
    }

    /// `(||w - w'||, |f(w; z) - f(w'; z)|)`, both 0 before the runs part.
    fn measure(&self, a: &Run, b: Option<&Run>, z: (&[f64], f64), s: &mut Scratch) -> (f64, f64) {
        match b {
            None => (0.0, 0.0),
            Some(b) => {
                let dist =
                    a.w.iter()
                        .zip(&b.w)
                        .map(|(x, y)| (x - y) * (x - y))
                        .sum::<f64>()
                        .sqrt();
                let fa = self.model.loss(&a.w, z.0, z.1, s);
                let fb = self.model.loss(&b.w, z.0, z.1, s);
                (dist, (fa - fb).abs())
            }
        }
    }

    /// `replicas` replicas in parallel (rayon), summarised per checkpoint; `tick` is called
    /// once per finished replica (for a progress bar).
    pub fn monte_carlo(&self, replicas: u64, seed: u64, tick: &(dyn Fn() + Sync)) -> Summary {
        self.summarise(seed, &self.replicas(0..replicas, seed, tick))
    }

    /// Replicas `range` (stream numbers) in parallel, in replica order: one shard of a
    /// Monte Carlo run; the shards' results concatenated in order and summarised
    /// ([`Sim::summarise`]) are bit for bit those of [`Sim::monte_carlo`]. Where the step
    /// allows it ([`Sim::lockstep`]) replicas run [`LANES`] at a time ([`Sim::run_lanes`]),
    /// which gives each replica the bits it has alone.
    pub fn replicas(
        &self,
        range: std::ops::Range<u64>,
        seed: u64,
        tick: &(dyn Fn() + Sync),
    ) -> Vec<ReplicaOut> {
        if !self.lockstep() {
            return range
                .into_par_iter()
                .map(|r| {
                    let o = self.run_replica(seed, r);
                    tick();
                    o
                })
                .collect();
        }
        let end = range.end;
        let lanes = self.lanes();
        let firsts: Vec<u64> = range.step_by(lanes).collect();
        let blocks: Vec<Vec<ReplicaOut>> = firsts
            .into_par_iter()
            .map(|first| {
                let count = (end - first).min(lanes as u64) as usize;
                let outs = self.run_lanes(seed, first, count);
                outs.into_iter()
                    .zip(first..)
                    .map(|(o, r)| {
                        tick();
                        // where it stopped being finite, find the first step as alone
                        if o.non_finite.is_some() {
                            self.run(seed, r, true)
                        } else {
                            o
                        }
                    })
                    .collect()
            })
            .collect();
        blocks.into_iter().flatten().collect()
    }

    /// Replicas per lockstep block: 8 below dimension 128 (more exponentials per vectorised
    /// coefficient pass), 4 below 512, then 2, so that the weights of every run of a block
    /// stay in the first-level cache beside the examples they read (measured at d = 64,
    /// 128, 256 and 512: BENCHMARKS.md). Each replica's bits do not depend on it.
    pub fn lanes(&self) -> usize {
        match self.model.dim() {
            ..128 => 8,
            128..512 => 4,
            _ => 2,
        }
    }

    /// Whether replicas can run in lockstep ([`Sim::run_lanes`]): one example per step, no
    /// momentum, and a linear or logistic loss (a dot product, a coefficient, an update).
    pub fn lockstep(&self) -> bool {
        self.batch == 1
            && self.momentum == 0.0
            && matches!(self.model, Model::Linear { .. } | Model::Logistic { .. })
    }

    /// Replicas `first..first + count` (`count <= LANES`) advanced together, step by step:
    /// the dot products of every run of every replica, then their step coefficients in one
    /// vectorised pass (the logistic loss's exponentials across replicas,
    /// [`super::kernels::logistic_coefs`]), then the updates (a replica's two runs in one
    /// pass where they share their examples, [`super::kernels::AxpyDotPair`]). Each
    /// replica's arithmetic is the one it has alone ([`Sim::run_replica`], tested bit for
    /// bit); replicas stop at the first checkpoint that is not finite.
    pub fn run_lanes(&self, seed: u64, first: u64, count: usize) -> Vec<ReplicaOut> {
        use super::kernels::{
            axpy_dot_fn, axpy_dot_pair_fn, axpy_with, dot_fn, isa_for, logistic_coefs,
        };
        assert!(count <= LANES, "run_lanes: at most LANES replicas");
        let xs = self.data.x.as_slice().expect("standard layout");
        let isa = isa_for(self.data.d());
        let (dot, axpy_dot) = (dot_fn(isa), axpy_dot_fn(isa));
        // the pair kernel on the widest instruction set (the same bits on every one)
        let pair = axpy_dot_pair_fn(super::kernels::isa());
        let logistic = matches!(self.model, Model::Logistic { .. });
        let steps = self.steps();
        let mut sts: Vec<State> = (0..count as u64)
            .map(|j| self.start(seed, first + j, false))
            .collect();
        // per replica and run (S, S'), the dot product of the coming step when the last
        // update computed it (`axpy_dot`)
        let mut pending = [[None::<f64>; 2]; LANES];
        // one entry per run (replica j, twin or not) advanced at this step: its dot
        // product, label, coefficient, example and the next step's example
        let mut z = [0.0f64; 2 * LANES];
        let mut y = [0.0f64; 2 * LANES];
        let mut c = [0.0f64; 2 * LANES];
        let mut runs = [(0usize, false); 2 * LANES];
        let empty: &[f64] = &[];
        let mut rows = [(empty, empty); 2 * LANES];
        for k in 0..steps {
            let alpha = self.alphas[k];
            let last = k + 1 == steps;
            let mut m = 0;
            for (j, st) in sts.iter_mut().enumerate() {
                if st.done {
                    continue;
                }
                if k == 0 {
                    self.draw(st, 0, false);
                }
                let (i, next) = (st.idx[0], st.next[0]);
                for twin in [false, true] {
                    let w = match (&st.b, twin) {
                        (_, false) => &st.a.w,
                        (Some(b), true) => &b.w,
                        (None, true) => continue,
                    };
                    let (x, yi) = self.example(xs, i, twin);
                    // the next step's example is known (drawn one step ahead)
                    let xn = if last {
                        empty
                    } else {
                        self.example(xs, next, twin).0
                    };
                    z[m] = pending[j][usize::from(twin)]
                        .take()
                        .unwrap_or_else(|| dot(x, w));
                    (y[m], runs[m], rows[m]) = (yi, (j, twin), (x, xn));
                    m += 1;
                }
            }
            if m == 0 {
                break;
            }
            // Model::step's coefficients, the same operations
            if logistic {
                logistic_coefs(&z[..m], &y[..m], -alpha, &mut c[..m]);
            } else {
                for t in 0..m {
                    c[t] = -alpha * (z[t] - y[t]);
                }
            }
            // the next step's indices now (each replica's draws in the same order), so that
            // the random numbers are computed while the coefficients are; the examples of
            // this step are in `rows`
            if !last {
                for st in sts.iter_mut().filter(|s| !s.done) {
                    self.draw_index(st, k + 1, false);
                }
            }
            let mut t = 0;
            while t < m {
                let (j, twin) = runs[t];
                let st = &mut sts[j];
                let (x, xn) = rows[t];
                // a replica's two runs on the same examples: one pass over them
                if let (Some(pair), Some(b), false) = (pair, st.b.as_mut(), last || twin)
                    && t + 1 < m
                    && runs[t + 1] == (j, true)
                    && std::ptr::eq(x, rows[t + 1].0)
                    && std::ptr::eq(xn, rows[t + 1].1)
                {
                    let (z1, z2) = pair.call(c[t], c[t + 1], x, &mut st.a.w, &mut b.w, xn);
                    pending[j] = [Some(z1), Some(z2)];
                    t += 2;
                    continue;
                }
                let w = match (&mut st.b, twin) {
                    (Some(b), true) => &mut b.w,
                    _ => &mut st.a.w,
                };
                if last {
                    axpy_with(isa, c[t], x, w);
                } else {
                    pending[j][usize::from(twin)] = Some(axpy_dot(c[t], x, w, xn));
                }
                t += 1;
            }
            for st in sts.iter_mut().filter(|s| !s.done) {
                self.after_step(st, k);
                if !last && !st.done {
                    self.start_twin(st);
                }
            }
        }
        sts.into_iter().map(|s| s.out).collect()
    }

    /// The per-checkpoint statistics of replica results given in replica order.
    pub fn summarise(&self, seed: u64, outs: &[ReplicaOut]) -> Summary {
        let non_finite: Vec<NonFinite> = outs
            .iter()
            .enumerate()
            .filter_map(|(r, o)| {
                o.non_finite.map(|step| NonFinite {
                    replica: r as u64,
                    step,
                })
            })
            .collect();
        let checkpoints = self
            .checkpoints
            .iter()
            .enumerate()
            .map(|(c, &step)| {
                // replicas still finite at this checkpoint are averaged; the others are
                // counted and left out (so the mean is conditional on not overflowing)
                let finite_here = |o: &&ReplicaOut| o.non_finite.is_none_or(|s| s > step);
                let bad = outs.len() - outs.iter().filter(finite_here).count();
                let d: Vec<f64> = outs.iter().filter(finite_here).map(|o| o.dist[c]).collect();
                let p: Vec<f64> = outs
                    .iter()
                    .filter(finite_here)
                    .map(|o| o.probe[c])
                    .collect();
                let (dist, probe, replicas) = if d.is_empty() {
                    (None, None, 0)
                } else {
                    (
                        Some(Stat::of_nonnegative(&d)),
                        Some(Stat::of_nonnegative(&p)),
                        d.len(),
                    )
                };
                Checkpoint {
                    step,
                    time: self.first_step + step as u64,
                    dist,
                    probe,
                    replicas,
                    non_finite: bad,
                }
            })
            .collect();
        Summary {
            seed,
            replicas: outs.len() as u64,
            checkpoints,
            non_finite,
        }
    }
}

fn finite(w: &[f64]) -> bool {
    w.iter().all(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reshuffling visits every index exactly once per epoch; with replacement it does not
    /// (for this seed some index repeats within the first n draws).
    #[test]
    fn samplers() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut s = Sampler::new(7, Sampling::Reshuffle);
        let mut epochs = Vec::new();
        for _ in 0..5 {
            let mut e: Vec<usize> = (0..7).map(|_| s.next(&mut rng)).collect();
            epochs.push(e.clone());
            e.sort();
            assert_eq!(e, (0..7).collect::<Vec<_>>());
        }
        assert!(
            epochs.windows(2).any(|w| w[0] != w[1]),
            "fresh permutations"
        );
        let mut s = Sampler::new(7, Sampling::WithReplacement);
        let mut e: Vec<usize> = (0..7).map(|_| s.next(&mut rng)).collect();
        e.sort();
        e.dedup();
        assert!(e.len() < 7);
    }

    #[test]
    fn stat_of_a_sample() {
        let s = Stat::of(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s.mean, 2.5);
        assert!((s.sd - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert!((s.se - s.sd / 2.0).abs() < 1e-15);
        // 3 degrees of freedom: t = 3.18244630528371 (tests/oracles/t_quantile.py)
        assert!((s.hi - s.mean - 3.182_446_305_283_71 * s.se).abs() < 1e-12);
        let n = Stat::of_nonnegative(&[0.0, 0.0, 0.0, 1.0]);
        assert_eq!(n.lo, 0.0);
        assert!(Stat::of(&[0.0, 0.0, 0.0, 1.0]).lo < 0.0);
    }

    #[test]
    fn student_t_quantiles() {
        // the 97.5% quantiles, computed independently with mpmath (tests/oracles/t_quantile.py)
        for (df, t) in [
            (1, 12.706_204_736_174_705),
            (2, 4.302_652_729_749_464),
            (3, 3.182_446_305_283_71),
            (9, 2.262_157_162_798_206),
            (30, 2.042_272_456_301_238),
            (99, 1.984_216_951_586_418),
            (999, 1.962_341_461_133_45),
            (100_000, 1.959_987_707_534_61),
        ] {
            let got = t_quantile_975(df);
            assert!((got - t).abs() < 1e-9 * t, "df {df}: {got} against {t}");
        }
    }
}

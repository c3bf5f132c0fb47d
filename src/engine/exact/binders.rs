//! Sums and products (`sum`, `prod`): terms combined along a balanced tree (binary
//! splitting), so that sizes grow evenly.

use super::*;

/// Combines values with `op` along a balanced tree, so that sizes grow evenly (a running
/// left-to-right fold of n rationals costs O(n^2) in their sizes).
pub(super) struct TreeFold {
    op: BigOp,
    /// stack of (level, partial result): a binary counter
    stack: Vec<(u32, Rational)>,
}

impl TreeFold {
    fn new(op: BigOp) -> Self {
        TreeFold {
            op,
            stack: Vec::new(),
        }
    }

    fn combine(&self, a: Rational, b: Rational) -> Rational {
        match self.op {
            BigOp::Sum => a + b,
            BigOp::Prod => a * b,
        }
    }

    fn push(&mut self, v: Rational, budget: &Budget) -> Result<(), ExactError> {
        let mut cur = (0u32, v);
        while let Some((lvl, _)) = self.stack.last() {
            if *lvl != cur.0 {
                break;
            }
            let (lvl, prev) = self.stack.pop().expect("checked non-empty");
            let c = self.combine(prev, cur.1);
            budget.check_size(&c)?;
            cur = (lvl + 1, c);
        }
        self.stack.push(cur);
        Ok(())
    }

    fn finish(mut self, budget: &Budget) -> Result<Rational, ExactError> {
        let mut acc = match self.op {
            BigOp::Sum => Rational::new(),
            BigOp::Prod => Rational::from(1),
        };
        while let Some((_, v)) = self.stack.pop() {
            acc = self.combine(v, acc);
            budget.check_size(&acc)?;
        }
        Ok(acc)
    }
}

// the loop counter is a big Integer; clippy's `zip` suggestion needs a `Step` type
#[allow(clippy::explicit_counter_loop)]
pub(super) fn big(
    op: BigOp,
    var: &str,
    lo: &Expr,
    hi: &Expr,
    body: &Expr,
    env: &mut Env,
    budget: &Budget,
) -> Result<Rational, ExactError> {
    let name = if op == BigOp::Sum { "sum" } else { "prod" };
    let lo = integer_of(lo, &format!("the lower bound of {name}"), env, budget)?;
    let hi = integer_of(hi, &format!("the upper bound of {name}"), env, budget)?;
    let mut fold = TreeFold::new(op);
    if hi < lo {
        return fold.finish(budget); // empty sum 0, empty product 1
    }
    let count = budget.check_steps(name, &(Integer::from(&hi - &lo) + 1))?;
    let body = fold_constants(body, env, &[var]);
    let mark = env.len();
    env.push(var, Rational::from(lo.clone()));
    let mut i = lo;
    for k in 0..count {
        if k % 4096 == 0 {
            budget.tick()?;
        }
        env.set_top(var, Rational::from(i.clone()));
        let v = eval_q(&body, env, budget);
        let v = match v {
            Ok(v) => v,
            Err(e) => {
                env.truncate(mark);
                return Err(e);
            }
        };
        if let Err(e) = fold.push(v, budget) {
            env.truncate(mark);
            return Err(e);
        }
        i += 1;
    }
    env.truncate(mark);
    fold.finish(budget)
}

#!/usr/bin/env python3
"""Independent oracle for the differential fuzzer (tests/fuzz.rs).

Reads one JSON object per line from standard input, {"id": k, "expr": "..."}, and writes one
JSON object per line: {"id": k, "kind": K, ...} with K one of

  rational   the exact value, "value": "p/q" (computed with fractions.Fraction only)
  real       the value is not known exactly: "lo" and "hi" are decimal strings that enclose
             it rigorously (mpmath's interval arithmetic, mpmath.iv, at 200 digits, widened
             by 1e-55 relative before printing to 60 digits). "cond": true when no
             intermediate value came near a singularity (a divisor, the argument of ln or
             of a root, a bound or the argument of a floor near an integer)
  undefined  the expression has no value: "reason" says why (division by zero, ...)
  unknown    the oracle cannot tell (an enclosure that holds a singularity, a size limit):
             no comparison is made

Every kind also carries "huge": true when some intermediate value is beyond 2^(2^20) in
magnitude or non-zero below its inverse (the interval engine's range).

It shares no code with stabcert: its own tokenizer, parser and evaluator, written from the
language's documentation (README, docs): literals are exact decimals; `^` is right-associative
and binds tighter than unary minus; 0^0 = 1; a negative base needs an integer exponent;
sum/prod/rec bounds must be integers; rec(x, t, start, end, init, step) is x at end, with x
at start equal to init and x at t+1 equal to step; rec with end < start is undefined.
"""

import json
import sys
from fractions import Fraction

import mpmath
from mpmath import iv, mpf

mpmath.mp.dps = 220
iv.dps = 200
HUGE_BITS = 1 << 20                 # the interval engine's magnitude range, 2^(2^20)
MAX_FRACTION_BITS = 200_000         # beyond this, exact fractions go to intervals
NEAR = mpf(10) ** -40               # closer than this to a singularity: not well conditioned


class Undefined(Exception):
    pass


class Unknown(Exception):
    pass


def lo(x):
    return mpf(x._mpi_[0])


def hi(x):
    return mpf(x._mpi_[1])


class Val:
    """An exact Fraction, or a rigorous interval (exact is None)."""

    __slots__ = ("exact", "iv")

    def __init__(self, exact=None, ival=None):
        self.exact = exact
        if exact is not None:
            self.iv = iv.mpf(exact.numerator) / exact.denominator
        else:
            self.iv = ival
            if not (mpmath.isfinite(lo(ival)) and mpmath.isfinite(hi(ival))):
                raise Unknown("an unbounded enclosure")

    def lo(self):
        return lo(self.iv)

    def hi(self):
        return hi(self.iv)

    def contains(self, c):
        return self.lo() <= c <= self.hi()


class State:
    def __init__(self):
        self.cond = True   # no intermediate came near a singularity
        self.huge = False  # some magnitude beyond the engine's range

    def note(self, v):
        for end in (v.lo(), v.hi()):
            if end != 0:
                e = mpmath.floor(mpmath.log(abs(end), 2))
                if abs(e) >= HUGE_BITS - 2:
                    self.huge = True
        return v

    def away(self, v, c, what):
        """Singular at c: raise Unknown if the enclosure holds c; note closeness."""
        if v.contains(c):
            raise Unknown(f"{what}: the enclosure holds {c}")
        d = min(abs(v.lo() - c), abs(v.hi() - c))
        if d < NEAR * max(1, abs(c)):
            self.cond = False


# ---------------------------------------------------------------- lexer and parser

def tokenize(s):
    toks = []
    i = 0
    while i < len(s):
        c = s[i]
        if c.isspace():
            i += 1
            continue
        if c.isdigit() or (c == "." and i + 1 < len(s) and s[i + 1].isdigit()):
            j = i
            while j < len(s) and s[j].isdigit():
                j += 1
            if j + 1 < len(s) and s[j] == "." and s[j + 1].isdigit():
                j += 1
                while j < len(s) and s[j].isdigit():
                    j += 1
            if j < len(s) and s[j] in "eE":
                k = j + 1
                if k < len(s) and s[k] in "+-":
                    k += 1
                if k < len(s) and s[k].isdigit():
                    while k < len(s) and s[k].isdigit():
                        k += 1
                    j = k
            toks.append(("num", s[i:j]))
            i = j
            continue
        if c.isalpha() or c == "_":
            j = i
            while j < len(s) and (s[j].isalnum() or s[j] in "_'"):
                j += 1
            toks.append(("id", s[i:j]))
            i = j
            continue
        toks.append(("op", c))
        i += 1
    toks.append(("end", ""))
    return toks


def literal(text):
    mant, _, exp = text.lower().partition("e")
    v = Fraction(mant)
    if exp:
        v *= Fraction(10) ** int(exp)
    return v


class Parser:
    def __init__(self, s):
        self.t = tokenize(s)
        self.i = 0

    def peek(self):
        return self.t[self.i]

    def take(self, kind=None, text=None):
        tok = self.t[self.i]
        if (kind and tok[0] != kind) or (text is not None and tok[1] != text):
            raise SyntaxError(f"expected {kind} {text}, got {tok}")
        self.i += 1
        return tok

    def is_op(self, o):
        return self.peek() == ("op", o)

    def expr(self):
        e = self.term()
        while self.is_op("+") or self.is_op("-"):
            o = self.take()[1]
            e = (o, e, self.term())
        return e

    def term(self):
        e = self.unary()
        while self.is_op("*") or self.is_op("/"):
            o = self.take()[1]
            e = (o, e, self.unary())
        return e

    def unary(self):
        if self.is_op("-"):
            self.take()
            return ("neg", self.unary())
        return self.power()

    def power(self):
        b = self.primary()
        if self.is_op("^"):
            self.take()
            return ("^", b, self.unary())
        return b

    def primary(self):
        kind, text = self.peek()
        if kind == "num":
            self.take()
            return ("num", literal(text))
        if self.is_op("("):
            self.take()
            e = self.expr()
            self.take("op", ")")
            return e
        if kind == "id":
            self.take()
            if self.is_op("("):
                self.take()
                args = [self.expr()]
                while self.is_op(","):
                    self.take()
                    args.append(self.expr())
                self.take("op", ")")
                if text in ("sum", "prod"):
                    return (text, args[0][1], args[1], args[2], args[3])
                if text == "rec":
                    return ("rec", args[0][1], args[1][1], args[2], args[3], args[4], args[5])
                return ("call", text, args)
            return ("var", text)
        raise SyntaxError(f"unexpected {text!r}")


# ---------------------------------------------------------------- evaluation

def frac_bits(q):
    return q.numerator.bit_length() + q.denominator.bit_length()


def iroot(n, k):
    """The integer k-th root of n >= 0 if exact, else None (Newton's method on integers)."""
    if n < 2:
        return n
    x = 1 << -(-n.bit_length() // k)  # >= the root
    while True:
        y = ((k - 1) * x + n // x ** (k - 1)) // k
        if y >= x:
            break
        x = y
    return x if x ** k == n else None


def too_big_exponent(y, st):
    """Exponents beyond 2^40 make magnitudes the oracle does not compute."""
    if max(abs(y.lo()), abs(y.hi())) > mpf(2) ** 40:
        st.huge = True
        raise Unknown("a huge exponent")


def as_int_bound(v, st, what):
    if v.exact is not None:
        if v.exact.denominator != 1:
            raise Undefined(f"{what} is not an integer")
        return v.exact.numerator
    # an interval holding no integer: not an integer; holding one: cannot tell
    n = mpmath.floor(v.hi())
    if n >= v.lo():
        raise Unknown(f"{what}: the enclosure holds an integer")
    st.away(v, n, what)
    st.away(v, n + 1, what)
    raise Undefined(f"{what} is not an integer")


def integer_power(x, k, st):
    if abs(k) > 1 << 40 and not (x.exact is not None and abs(x.exact) in (0, 1)):
        st.huge = True
        raise Unknown("a huge exponent")
    if x.exact is not None:
        if x.exact == 0:
            if k < 0:
                raise Undefined("0 to a negative power")
            return Val(Fraction(1) if k == 0 else Fraction(0))
        if abs(x.exact) == 1:
            return Val(Fraction(1) if (x.exact > 0 or k % 2 == 0) else Fraction(-1))
        if abs(k) * frac_bits(x.exact) <= MAX_FRACTION_BITS:
            return st.note(Val(x.exact ** k))
        return st.note(Val(ival=x.iv ** k))
    if k == 0:
        return Val(Fraction(1))
    if k < 0:
        st.away(x, 0, "a base under a negative power")
    return st.note(Val(ival=x.iv ** k))


def power(x, y, st):
    if y.exact is not None and y.exact.denominator == 1:
        return integer_power(x, y.exact.numerator, st)
    if y.exact is None:
        n = mpmath.floor(y.hi())
        if n >= y.lo():
            raise Unknown("an inexact exponent whose enclosure holds an integer")
        if x.exact is not None and x.exact < 0 or x.exact is None and x.hi() < 0:
            raise Undefined("negative base with a non-integer exponent")
        st.away(y, n, "an exponent")
        st.away(y, n + 1, "an exponent")
    # a non-integer exponent
    too_big_exponent(y, st)
    if x.exact is not None:
        if x.exact < 0:
            raise Undefined("negative base with a non-integer exponent")
        if x.exact == 0:
            if y.lo() > 0:
                return Val(Fraction(0))
            if y.hi() < 0:
                raise Undefined("0 to a negative power")
            raise Unknown("0 to an exponent of unknown sign")
        if y.exact is not None:
            p, q = y.exact.numerator, y.exact.denominator
            if q <= 64 and abs(p) * frac_bits(x.exact) <= MAX_FRACTION_BITS:
                rn, rd = iroot(x.exact.numerator, q), iroot(x.exact.denominator, q)
                if rn is not None and rd is not None:
                    return st.note(Val(Fraction(rn, rd) ** p))
        return st.note(Val(ival=x.iv ** y.iv))
    if x.hi() < 0:
        raise Undefined("negative base with a non-integer exponent")
    st.away(x, 0, "a base under a non-integer exponent")
    return st.note(Val(ival=x.iv ** y.iv))


def call(f, args, st):
    x = args[0]
    if f == "exp":
        if x.exact == 0:
            return Val(Fraction(1))
        if max(abs(x.lo()), abs(x.hi())) > mpf(2) ** 40:
            st.huge = True
            raise Unknown("exp of a huge value")
        return st.note(Val(ival=iv.exp(x.iv)))
    if f == "ln":
        if x.exact is not None:
            if x.exact <= 0:
                raise Undefined("ln of a non-positive number")
            if x.exact == 1:
                return Val(Fraction(0))
            return Val(ival=iv.log(x.iv))
        if x.hi() <= 0:
            raise Undefined("ln of a non-positive number")
        st.away(x, 0, "the argument of ln")
        return st.note(Val(ival=iv.log(x.iv)))
    if f == "sqrt":
        if x.exact is not None:
            if x.exact < 0:
                raise Undefined("sqrt of a negative number")
            return power(x, Val(Fraction(1, 2)), st)
        if x.hi() < 0:
            raise Undefined("sqrt of a negative number")
        st.away(x, 0, "the argument of sqrt")
        return st.note(Val(ival=iv.sqrt(x.iv)))
    if f == "abs":
        return Val(abs(x.exact)) if x.exact is not None else Val(ival=abs(x.iv))
    if f in ("min", "max"):
        if all(a.exact is not None for a in args):
            return Val(min(a.exact for a in args) if f == "min" else max(a.exact for a in args))
        pick = min if f == "min" else max
        a = pick(v.lo() for v in args)
        b = pick(v.hi() for v in args)
        return Val(ival=iv.mpf([a, b]))
    if f in ("floor", "ceil"):
        if x.exact is not None:
            q = x.exact
            n = q.numerator // q.denominator
            if f == "ceil" and n != q:
                n += 1
            return Val(Fraction(n))
        if f == "floor":
            a, b = mpmath.floor(x.lo()), mpmath.floor(x.hi())
        else:
            a, b = mpmath.ceil(x.lo()), mpmath.ceil(x.hi())
        if a != b:
            raise Unknown(f"{f}: the enclosure holds an integer")
        n = mpmath.floor(x.hi()) if f == "floor" else mpmath.ceil(x.lo())
        st.away(x, n, f"the argument of {f}")
        st.away(x, n + (1 if f == "floor" else -1), f"the argument of {f}")
        if abs(a) > mpf(2) ** 60000:
            raise Unknown(f"{f} of a huge value")
        return Val(Fraction(int(a)))
    raise SyntaxError(f"unknown function {f}")


def arith(tag, a, b, st):
    if tag == "/":
        if b.exact == 0:
            raise Undefined("division by zero")
        if b.exact is None:
            st.away(b, 0, "a divisor")
    if a.exact is not None and b.exact is not None:
        if frac_bits(a.exact) + frac_bits(b.exact) > MAX_FRACTION_BITS:
            raise Unknown("a fraction too large for the oracle")
        if tag == "+":
            return st.note(Val(a.exact + b.exact))
        if tag == "-":
            return st.note(Val(a.exact - b.exact))
        if tag == "*":
            return st.note(Val(a.exact * b.exact))
        return st.note(Val(a.exact / b.exact))
    # an exact zero factor times a value is 0 (the other factor has a value: it was computed)
    if tag == "*" and (a.exact == 0 or b.exact == 0):
        return Val(Fraction(0))
    if tag == "/" and a.exact == 0:
        return Val(Fraction(0))
    x, y = a.iv, b.iv
    r = {"+": lambda: x + y, "-": lambda: x - y, "*": lambda: x * y, "/": lambda: x / y}[tag]()
    return st.note(Val(ival=r))


def ev(e, env, st):
    tag = e[0]
    if tag == "num":
        return Val(e[1])
    if tag == "lit":
        return e[1]
    if tag == "var":
        return env[e[1]]
    if tag == "neg":
        v = ev(e[1], env, st)
        return Val(-v.exact) if v.exact is not None else Val(ival=-v.iv)
    if tag in ("+", "-", "*", "/"):
        a = ev(e[1], env, st)
        b = ev(e[2], env, st)
        return arith(tag, a, b, st)
    if tag == "^":
        a = ev(e[1], env, st)
        b = ev(e[2], env, st)
        return power(a, b, st)
    if tag == "call":
        args = [ev(a, env, st) for a in e[2]]
        return call(e[1], args, st)
    if tag in ("sum", "prod"):
        _, var, lo_e, hi_e, body = e
        a = as_int_bound(ev(lo_e, env, st), st, f"the lower bound of {tag}")
        b = as_int_bound(ev(hi_e, env, st), st, f"the upper bound of {tag}")
        if b - a > 10_000:
            raise Unknown("too many terms for the oracle")
        acc = Val(Fraction(0 if tag == "sum" else 1))
        for i in range(a, b + 1):
            env2 = dict(env)
            env2[var] = Val(Fraction(i))
            v = ev(body, env2, st)
            acc = arith("+" if tag == "sum" else "*", acc, v, st)
        return acc
    if tag == "rec":
        _, x, t, start, end, init, step = e
        s = as_int_bound(ev(start, env, st), st, "the start of rec")
        n = as_int_bound(ev(end, env, st), st, "the end of rec")
        cur = ev(init, env, st)
        if n < s:
            raise Undefined("rec runs backwards")
        if n - s > 10_000:
            raise Unknown("too many steps for the oracle")
        for ti in range(s, n):
            env2 = dict(env)
            env2[t] = Val(Fraction(ti))
            env2[x] = cur
            cur = ev(step, env2, st)
        return cur
    raise SyntaxError(f"unknown node {tag}")


def outward(x, down):
    """A 60-digit decimal string at or beyond x in the given direction."""
    if x == 0:
        return "0"
    w = abs(x) * mpf(10) ** -55
    y = x - w if down else x + w
    return mpmath.nstr(y, 60, min_fixed=1, max_fixed=0, strip_zeros=False)


def oracle(src):
    st = State()
    try:
        tree = Parser(src).expr()
    except (SyntaxError, IndexError, ValueError, KeyError) as err:
        return {"kind": "unknown", "reason": f"oracle parse error: {err}"}
    try:
        v = ev(tree, {}, st)
    except Undefined as u:
        return {"kind": "undefined", "reason": str(u), "cond": st.cond, "huge": st.huge}
    except Unknown as u:
        return {"kind": "unknown", "reason": str(u), "huge": st.huge}
    except (OverflowError, ZeroDivisionError, ValueError, MemoryError, RecursionError,
            mpmath.libmp.libmpf.ComplexResult) as err:
        return {"kind": "unknown", "reason": f"oracle limit: {type(err).__name__}: {err}"[:200],
                "huge": st.huge}
    if v.exact is not None:
        q = v.exact
        if frac_bits(q) > 100_000:
            return {"kind": "unknown", "reason": "an exact value too large to print",
                    "huge": True}
        return {"kind": "rational", "value": f"{q.numerator}/{q.denominator}", "huge": st.huge}
    if st.huge:
        return {"kind": "unknown", "reason": "a huge magnitude", "huge": True}
    return {"kind": "real", "lo": outward(v.lo(), True), "hi": outward(v.hi(), False),
            "cond": st.cond, "huge": st.huge}


def main():
    sys.setrecursionlimit(50_000)
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(0)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        job = json.loads(line)
        out = oracle(job["expr"])
        out["id"] = job["id"]
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

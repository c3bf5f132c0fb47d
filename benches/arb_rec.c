/* The interval engine's anchor (benches/engines_vs.rs): an enclosure of x_T for
 * x_{t+1} = (1 + a/(0.99 t)) x_t + 1/(t n), x_1 = 0 (steps t = 1, ..., T - 1, as stabcert's
 * `rec(x, t, 1, T, 0, ...)`), a = 1/100, n = 10, written as the
 * plain loop a C programmer would write against Arb (FLINT's ball arithmetic) at a working
 * precision of `prec` bits: per step the factor 1 + a/(0.99 t) and the term 1/(t n) as balls,
 * then x = x * factor + term. Prints one JSON line: the seconds (best of three) and the
 * ball (30 digits).
 *
 * build: cc -O2 arb_rec.c -o arb_rec -lflint -lflint-arb (Debian: libflint-arb-dev)
 *   or   cc -O2 arb_rec.c -o arb_rec -lflint              (FLINT 3, Arb included)
 * usage: arb_rec T prec */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#if __has_include(<flint/arb.h>)
#include <flint/arb.h>
#else
#include <arb.h>
#endif

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: arb_rec T prec\n");
        return 2;
    }
    unsigned long T = strtoul(argv[1], NULL, 10);
    slong prec = atol(argv[2]);
    arb_t x, a, c, f, term;
    arb_init(x); arb_init(a); arb_init(c); arb_init(f); arb_init(term);
    double best = 1e300;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now();
        arb_set_ui(a, 1);
        arb_div_ui(a, a, 100, prec);          /* a = 1/100 */
        arb_set_ui(c, 99);
        arb_div_ui(c, c, 100, prec);          /* 0.99 */
        arb_zero(x);
        for (unsigned long t = 1; t < T; t++) {
            arb_mul_ui(f, c, t, prec);        /* 0.99 t */
            arb_div(f, a, f, prec);           /* a / (0.99 t) */
            arb_add_ui(f, f, 1, prec);        /* 1 + a/(0.99 t) */
            arb_set_ui(term, 1);
            arb_div_ui(term, term, t * 10, prec); /* 1/(t n) */
            arb_mul(x, x, f, prec);
            arb_add(x, x, term, prec);
        }
        double dt = now() - t0;
        if (dt < best) best = dt;
    }
    printf("{\"seconds\": %.6f, \"ball\": \"%s\"}\n", best, arb_get_str(x, 30, 0));
    return 0;
}

"""BG/NBD and Gamma-Gamma fit time on synthetic customers drawn from the models themselves
(CDNOW's published parameters): the summaries' recovery of the parameters and the seconds
each fit takes.

    python bench/clv_fit.py --customers 1000000
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from cxcli import lifetime as lt

TRUTH = (0.243, 4.414, 0.793, 2.426)
SPEND = (6.25, 3.74, 15.44)


def customers(n: int, seed: int = 1) -> tuple[np.ndarray, ...]:
    """x, t_x, T and mean repeat spend of n customers who first bought within 12 weeks and are
    observed to week 39, from the BG/NBD and Gamma-Gamma processes, to the day and the cent."""
    rng = np.random.default_rng(seed)
    r, alpha, a, b = TRUTH
    rate = rng.gamma(r, 1 / alpha, n)
    drop = rng.beta(a, b, n)
    t = 39 - rng.uniform(0, 12, n)
    x, tx, now = np.zeros(n), np.zeros(n), np.zeros(n)
    active = np.ones(n, dtype=bool)
    while active.any():
        now[active] += rng.exponential(1 / np.maximum(rate[active], 1e-12))
        bought = active & (now <= t)
        x[bought] += 1
        tx[bought] = now[bought]
        active = bought & (rng.random(n) >= drop)
    t, tx = np.floor(t * 7) / 7, np.floor(tx * 7) / 7  # whole days, as an export has them
    p, q, gamma = SPEND
    nu = rng.gamma(q, 1 / gamma, n)
    m = np.where(x > 0, rng.gamma(p * np.maximum(x, 1), 1 / nu) / np.maximum(x, 1), 0.0)
    m = np.round(m, 2)  # cents
    return x, tx, t, m


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()
    x, tx, t, m = customers(args.customers)
    started = time.perf_counter()
    bg = lt.fit_bgnbd(x, tx, t)
    middle = time.perf_counter()
    repeat = x > 0
    gg = lt.fit_gamma_gamma(x[repeat], m[repeat])
    done = time.perf_counter()
    print(f"{args.customers:,} customers, {int(repeat.sum()):,} repeat buyers")
    print(f"BG/NBD {np.round(bg.params, 3)} (truth {TRUTH}) in {middle - started:.1f} s")
    print(f"Gamma-Gamma {np.round(gg.params, 3)} (truth {SPEND}) in {done - middle:.1f} s")


if __name__ == "__main__":
    main()

"""Probe (issue 9): does combining the per-reading NED with the window NED (w = 4) raise the IIoT ROC AUC?

Reads the CSV files written by `detection-quality --only iiot --ned-only --dump DIR` (columns `NED` and
`NED_(window_w=4)`, the two networks of the quality table, trained and scored on the same data) and prints, per seed,
the ROC AUC of each network and of four combinations: a / qa and b / qb mixed with weight 1/4 or 1/2 on the window
network, their maximum, and the sum of their ranks; qa and qb are the 99th percentiles of each network's scores over
the test window (unlabelled). The last lines give each combination's mean change against NED on the seeds named with
--dev and --check. docs/detection.md ("Probed: NED and its window variant combined") says what it found.

Usage: /usr/bin/python3 ned_ensemble_probe.py --dev 7,3,11 --check 5,13,17,23,29 DIR_FORMAT
       (DIR_FORMAT such as /tmp/seed{}: the directory holding each seed's IIoT-telemetry.csv)
"""
import argparse

import numpy as np
from scipy.stats import rankdata
from sklearn.metrics import roc_auc_score

from balance_added import columns_of

COMBINATIONS = {
    "mix 1/4": lambda a, b: 0.75 * a + 0.25 * b,
    "mix 1/2": lambda a, b: 0.5 * a + 0.5 * b,
    "max": np.maximum,
    "rank sum": lambda a, b: rankdata(a) + rankdata(b),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dev", required=True)
    parser.add_argument("--check", required=True)
    parser.add_argument("dir_format")
    args = parser.parse_args()
    dev = [int(s) for s in args.dev.split(",")]
    check = [int(s) for s in args.check.split(",")]
    print("| seed | NED | NED w=4 | " + " | ".join(COMBINATIONS) + " |")
    print("|---" * (len(COMBINATIONS) + 3) + "|")
    change = {name: {} for name in COMBINATIONS}
    for seed in dev + check:
        labels, single, window = columns_of(args.dir_format.format(seed), "NED", "NED_(window_w=4)")
        a = single / np.percentile(single, 99)
        b = window / np.percentile(window, 99)
        base = roc_auc_score(labels, single)
        cells = [base, roc_auc_score(labels, window)]
        for name, combine in COMBINATIONS.items():
            auc = roc_auc_score(labels, combine(a, b))
            change[name][seed] = auc - base
            cells.append(auc)
        print(f"| {seed} | " + " | ".join(f"{c:.4f}" for c in cells) + " |")
    print()
    for name, by_seed in change.items():
        print(f"{name}: development mean change {np.mean([by_seed[s] for s in dev]):+.4f}, "
              f"check mean change {np.mean([by_seed[s] for s in check]):+.4f} "
              f"(lowest {min(by_seed[s] for s in check):+.4f})")


if __name__ == "__main__":
    main()

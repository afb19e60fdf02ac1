"""Evaluation (issue 9): IIoT ROC AUC of NED's score with the dumped mass balance `bal` added to it, per seed.

Reads the CSV files written by `detection-quality --only iiot --ned-only --dump DIR` (the `bal` column is the one the
mass-balance bundle's scorer filled) and prints, per seed, NED's ROC AUC and the change that NED / q + c * max(bal - d,
0)^2 makes, q being the 99th percentile of NED's scores over the evaluated rows (unlabelled; the product would use its
calibrated threshold). Once over the whole test window, as `detection-quality` reports, and once over its second half,
as `balance_witness_probe.py` does. docs/detection.md ("Tried: a recent window as the balance's gate") says what it
found with the patch `balance-recent-gate.patch` applied.

Usage: /usr/bin/python3 balance_added.py DIR [DIR ...]   (each DIR holds one seed's IIoT-telemetry.csv)
"""
import os
import sys

import numpy as np
from sklearn.metrics import roc_auc_score

from balance_witness_probe import load

SETTINGS = ((0.003, 2), (0.01, 2), (0.03, 2), (0.1, 2), (0.01, 4))


def columns_of(directory, *names):
    columns, rows = load(directory)
    labels = np.array([row[0] != "normal" for row in rows])
    return labels, *(np.array([float(row[columns[name]]) for row in rows]) for name in names)


def main():
    seeds = [(os.path.basename(os.path.normpath(d)), *columns_of(d, "NED", "bal")) for d in sys.argv[1:]]
    settings = " | ".join(f"c {c}, d {d}" for c, d in SETTINGS)
    for title, start in (("whole test window", lambda n: 0), ("second half", lambda n: n // 2)):
        print(f"\n{title}: NED ROC AUC, and the change with NED / q + c * max(bal - d, 0)^2\n")
        print(f"| seed | NED | {settings} |")
        print("|---" * (len(SETTINGS) + 2) + "|")
        for name, labels, ned, balance in seeds:
            part = slice(start(len(labels)), None)
            y, score, bal = labels[part], ned[part], balance[part]
            base = roc_auc_score(y, score)
            q = np.percentile(score, 99)
            changes = (roc_auc_score(y, score / q + c * np.maximum(bal - d, 0) ** 2) - base for c, d in SETTINGS)
            print(f"| {name} | {base:.4f} | " + " | ".join(f"{change:+.4f}" for change in changes) + " |")


if __name__ == "__main__":
    main()

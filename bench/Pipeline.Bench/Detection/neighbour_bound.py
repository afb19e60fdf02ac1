"""Probe (issue 9): how much NED's IIoT ROC AUC loses to normal readings whose unit has another device under attack.

Reads the CSV files written by `detection-quality --only iiot --ned-only --dump DIR`. A normal reading is a neighbour
when another device of its process unit (factory + the stage digit of the device name) had an attack reading within the
last W readings of that unit. The bound replaces the NED score of such readings by a random draw from the NED scores of
normal readings of the same device type with no attack in their unit within W (what perfect attribution could give, the
network otherwise unchanged), for all neighbours and for those with `rel` above 3 or not. docs/detection.md
("Attributing a broken relation") says what it found.

Usage: /usr/bin/python3 neighbour_bound.py W DIR [DIR ...]   (each DIR holds one seed's IIoT-telemetry.csv)
"""
import csv
import os
import sys

import numpy as np
from sklearn.metrics import roc_auc_score


def load(directory):
    labels, entities, ned, rel = [], [], [], []
    with open(os.path.join(directory, "IIoT-telemetry.csv")) as f:
        reader = csv.reader(f)
        header = next(reader)
        at_ned, at_rel = header.index("NED"), header.index("rel")
        for row in reader:
            labels.append(row[0])
            entities.append(row[1])
            ned.append(float(row[at_ned]))
            rel.append(float(row[at_rel]))
    return np.array(labels), entities, np.array(ned), np.array(rel)


def unit_and_type(entity):
    device = entity.split("/")[-1]
    name = device.split("-")[-1]
    kind = name.rstrip("0123456789")
    return device[: -len(name)] + name[len(kind)], kind


def neighbours(labels, entities, reach):
    """Per reading: whether another device of its unit had an attack reading within the unit's last `reach` readings."""
    attacked = labels != "normal"
    last_attack, count = {}, {}
    flags = np.zeros(len(labels), bool)
    own_flags = np.zeros(len(labels), bool)
    for i, entity in enumerate(entities):
        unit, _ = unit_and_type(entity)
        n = count.get(unit, 0)
        count[unit] = n + 1
        seen = last_attack.setdefault(unit, {})
        for device, at in seen.items():
            if n - at <= reach:
                if device == entity:
                    own_flags[i] = True
                else:
                    flags[i] = True
        if attacked[i]:
            seen[entity] = n
    return flags, own_flags


def main():
    reach = int(sys.argv[1])
    rng = np.random.default_rng(1)
    print(f"| seed | NED | neighbours | bound | with rel > 3 | bound | with rel <= 3 | bound |")
    print("|---" * 8 + "|")
    for directory in sys.argv[2:]:
        labels, entities, ned, rel = load(directory)
        y = labels != "normal"
        near, own = neighbours(labels, entities, reach)
        kinds = np.array([unit_and_type(e)[1] for e in entities])
        clean = ~y & ~near & ~own
        base = roc_auc_score(y, ned)
        cells = []
        for mask in (near & ~y, near & ~y & (rel > 3), near & ~y & (rel <= 3)):
            score = ned.copy()
            for kind in set(kinds):
                chosen = mask & (kinds == kind)
                score[chosen] = rng.choice(ned[clean & (kinds == kind)], chosen.sum())
            cells.append(f"{mask.sum()} | {roc_auc_score(y, score) - base:+.4f}")
        print(f"| {os.path.basename(os.path.normpath(directory))} | {base:.4f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

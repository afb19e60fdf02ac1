"""Probe (issue 9): does the tank's pressure sensor, as a second witness of the level, make the mass balance safe to add
to NED's score? Reads the CSV files written by `detection-quality --only iiot --ned-only --dump DIR` and prints one
table of IIoT ROC AUC per seed. Nothing here runs in the product; docs/detection.md ("Probed: the pressure sensor as a
second witness of the balance") says what it found.

Usage: /usr/bin/python3 balance_witness_probe.py DIR [DIR ...]   (each DIR holds one seed's IIoT-telemetry.csv)

Per process unit and flow-meter reading, over the same windows as the product's balance (N = 120 readings between two
blocks of K = 20), two balance residuals are formed: the flow meters' net inflow minus the tank area times the level's
rate of change, once from the level sensor (zL) and once from the level implied by the discharge pressure (zP: pressure
minus the running pump's head, divided by 0.0981 bar/m). A level-sensor attack moves zL and not zP, a pressure-sensor
attack zP and not zL; a drifting flow meter moves both the same way. The area and the residual spreads are fitted on
the first half of the dumped test window, and every figure is taken on its second half. Flow readings that NED already
scores above a percentile of its scores (QPCT) are left out of the flow means, so an attacked meter's readings do not
linger in the windows that follow it. The score is NED / q + c * max(g - d, 0)^2, with q NED's 99th percentile (the
product would use its calibrated threshold) and g the bundle's own `bal` where both witnesses agree in sign and
|zP| > 1, else 0.
"""
import csv
import os
import sys
from collections import defaultdict

import numpy as np
from sklearn.metrics import roc_auc_score

N, K = 120, 20
BAR_PER_METRE = 0.0981


def load(directory):
    with open(os.path.join(directory, "IIoT-telemetry.csv")) as f:
        reader = csv.reader(f)
        head = next(reader)
        rows = list(reader)
    return {name: i for i, name in enumerate(head)}, rows


def unit_and_kind(entity):
    """(unit key, device kind) from cluster/factory/device ids such as c01/c01-f01/c01-f01-FIT101."""
    tag = entity.split("/")[-1].split("-")[-1]
    number = "".join(ch for ch in tag if ch.isdigit())
    return entity.rsplit("/", 1)[0] + ":" + str(int(number) // 100), tag.rstrip("0123456789")


def robust_sigma(values):
    return 1.4826 * np.median(np.abs(values))


def witnesses(columns, rows, ned, exclude_percentile, cut):
    """zL and zP per flow-meter row (0 elsewhere and where a window has too few kept readings), and the units' spreads
    of the two residuals in m3/h."""
    z_level, z_pressure = np.zeros(len(rows)), np.zeros(len(rows))
    spreads = []
    units = defaultdict(lambda: defaultdict(list))
    for k, row in enumerate(rows):
        unit, kind = unit_and_kind(row[columns["entity"]])
        units[unit][kind].append(k)
    limit = np.percentile(ned, exclude_percentile) if exclude_percentile < 100 else np.inf

    def values(keys, name):
        return np.array([float(rows[k][columns[name]]) for k in keys])

    for kinds in units.values():
        count = min(len(kinds[kind]) for kind in ("LIT", "FIT", "PIT", "P"))
        level_rows, flow_rows = kinds["LIT"][:count], np.array(kinds["FIT"][:count])
        level, flow = values(level_rows, "level_m"), values(flow_rows, "flow_m3h")
        pressure = values(kinds["PIT"][:count], "pressure_bar")
        running, outflow = values(kinds["P"][:count], "running"), values(kinds["P"][:count], "flow_m3h")
        pressure_level = (pressure - running * (2.2 + 0.012 * outflow)) / BAR_PER_METRE
        kept = (ned[flow_rows] <= limit).astype(float)
        net_sum = np.concatenate([[0], np.cumsum((flow - outflow) * kept)])
        kept_sum = np.concatenate([[0], np.cumsum(kept)])
        level_sum = np.concatenate([[0], np.cumsum(level)])
        pressure_sum = np.concatenate([[0], np.cumsum(pressure_level)])
        t = np.arange(N + K, count)

        def block_mean(sums, end):
            return (sums[end + 1] - sums[end + 1 - K]) / K

        rate_level = (block_mean(level_sum, t) - block_mean(level_sum, t - N)) * 3600 / N
        rate_pressure = (block_mean(pressure_sum, t) - block_mean(pressure_sum, t - N)) * 3600 / N
        end, start = t - K // 2, t - N - K // 2
        kept_count = kept_sum[end + 1] - kept_sum[start + 1]
        inflow = (net_sum[end + 1] - net_sum[start + 1]) / np.maximum(kept_count, 1)
        usable = kept_count >= 0.5 * (end - start)
        at = flow_rows[t]
        fit = (at < cut) & usable
        x, y = rate_level[fit], inflow[fit]
        steep = np.abs(x) > 5
        area = np.median(y[steep] / x[steep])
        for _ in range(2):
            residual = y - area * x
            inside = np.abs(residual) < 4 * robust_sigma(residual - np.median(residual)) + 0.1
            area = (x[inside] @ y[inside]) / (x[inside] @ x[inside])
        r_level = np.where(usable, inflow - area * rate_level, 0)
        r_pressure = np.where(usable, inflow - area * rate_pressure, 0)
        spreads.append((robust_sigma(r_level[fit]), robust_sigma(r_pressure[fit])))
        z_level[at] = r_level / spreads[-1][0]
        z_pressure[at] = r_pressure / spreads[-1][1]
    return z_level, z_pressure, np.array(spreads)


def main():
    table = defaultdict(dict)
    counts = {}
    names = []
    for directory in sys.argv[1:]:
        name = os.path.basename(os.path.normpath(directory))
        names.append(name)
        columns, rows = load(directory)
        cut = len(rows) // 2
        scored = np.arange(len(rows)) >= cut
        labels = np.array([row[0] != "normal" for row in rows])[scored]
        ned = np.array([float(row[columns["NED"]]) for row in rows])
        ned_with_input = np.array([float(row[columns["NED_(mass_balance)"]]) for row in rows])[scored]
        balance = np.array([float(row[columns["bal"]]) for row in rows])[scored]
        q = np.percentile(ned[scored], 99)
        kinds = np.array([unit_and_kind(row[columns["entity"]])[1] for row in rows])[scored]
        truth = np.array([row[0] for row in rows])[scored]
        normal_flow = (kinds == "FIT") & (truth == "normal")
        meter_attacked = (kinds == "FIT") & np.isin(truth, ["sensor_spoofing", "replay"])

        def added(feature, c, d):
            return ned[scored] / q + c * np.maximum(feature - d, 0) ** 2

        table["NED"][name] = roc_auc_score(labels, ned[scored])
        table["NED with bal as an input (the opt-in)"][name] = roc_auc_score(labels, ned_with_input)
        table["NED + bal, c 0.003, d 2 (no witness)"][name] = roc_auc_score(labels, added(balance, 0.003, 2))
        for percentile in (100, 95, 90):
            z_level, z_pressure, spreads = witnesses(columns, rows, ned, percentile, cut)
            agree = (np.sign(z_level[scored]) == np.sign(z_pressure[scored])) & (np.abs(z_pressure[scored]) > 1)
            gated = np.where(agree, balance, 0)
            for c, d in ((0.003, 2), (0.003, 4), (0.03, 2), (0.03, 4)):
                label = f"NED + witnessed bal, c {c}, d {d}, flow above NED's {percentile}th pct. left out"
                table[label][name] = roc_auc_score(labels, added(gated, c, d))
            if percentile == 90:
                counts[name] = (int((balance[normal_flow] > 4).sum()), int((gated[normal_flow] > 4).sum()),
                                int(meter_attacked.sum()), spreads,
                                *(int((ned[scored][meter_attacked] > np.percentile(ned[scored], p)).sum()) for p in (99, 95, 90)))
    print("| variant | " + " | ".join(names) + " | mean change | lowest change |")
    print("|---" * (len(names) + 3) + "|")
    for variant, scores in table.items():
        change = [scores[n] - table["NED"][n] for n in names]
        cells = " | ".join(f"{scores[n]:.4f}" for n in names)
        print(f"| {variant} | {cells} | {np.mean(change):+.4f} | {min(change):+.4f} |")
    print()
    print("| seed | normal flow readings with bal > 4 | with witnessed bal > 4 (90th pct.) "
          "| flow-meter spoof and replay readings | of them above NED's 99th / 95th / 90th percentile "
          "| median over units of the residual spread from the level / from the pressure, m3/h |")
    print("|---|---|---|---|---|---|")
    for name in names:
        bal4, witnessed4, attacked, spreads, *above = counts[name]
        spread = f"{np.median(spreads[:, 0]):.2f} / {np.median(spreads[:, 1]):.2f}"
        print(f"| {name} | {bal4} | {witnessed4} | {attacked} | {' / '.join(map(str, above))} | {spread} |")


if __name__ == "__main__":
    main()

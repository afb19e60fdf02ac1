"""Fit and score scikit-learn's IsolationForest, PCA and KMeans on the data the detection-speed benchmark wrote.

Called by bench/Pipeline.Bench (mode detection-speed) with Debian's interpreter (/usr/bin/python3, package
python3-sklearn). Prints one JSON object: per model, fit and score seconds and ROC AUC on the test rows.
Usage: sklearn_compare.py TRAIN.f32 TEST.f32 LABELS.u8 ROWS COLS TREES CLUSTERS RESTARTS [REPEATS]
With REPEATS (default 1) each model is fitted and scored that many times and the median times are reported.
"""
import json
import sys
import time

import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score


def timed(fn, repeats=1):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, float(np.median(times))


def main():
    train_path, test_path, labels_path = sys.argv[1:4]
    rows, cols, trees, clusters, restarts = (int(v) for v in sys.argv[4:9])
    repeats = int(sys.argv[9]) if len(sys.argv) > 9 else 1
    train = np.fromfile(train_path, dtype="<f4").reshape(rows, cols)
    test = np.fromfile(test_path, dtype="<f4").reshape(rows, cols)
    labels = np.fromfile(labels_path, dtype=np.uint8).astype(bool)
    out = {"sklearn": sklearn.__version__}

    forest = IsolationForest(n_estimators=trees, max_samples=256, random_state=0)
    _, fit_s = timed(lambda: forest.fit(train), repeats)
    scores, score_s = timed(lambda: -forest.score_samples(test), repeats)
    out["isolation_forest"] = {"fit_s": fit_s, "score_s": score_s, "auc": roc_auc_score(labels, scores)}

    # Full Mahalanobis distance: whitened projection on every component, squared and summed.
    pca = PCA(n_components=None, whiten=True, svd_solver="full", random_state=0)
    _, fit_s = timed(lambda: pca.fit(train), repeats)
    scores, score_s = timed(lambda: (pca.transform(test) ** 2).sum(axis=1), repeats)
    out["pca"] = {"fit_s": fit_s, "score_s": score_s, "auc": roc_auc_score(labels, scores)}

    # Like ours: Lloyd (1.2.1's default algorithm, named here), k-means++ seeding, n_init restarts, tol 1e-4 relative
    # to the mean feature variance, at most 100 iterations per restart (our default; scikit-learn's is 300).
    kmeans = KMeans(n_clusters=clusters, n_init=restarts, algorithm="lloyd", max_iter=100, tol=1e-4, random_state=0)
    _, fit_s = timed(lambda: kmeans.fit(train), repeats)
    scores, score_s = timed(lambda: kmeans.transform(test).min(axis=1), repeats)
    out["kmeans"] = {"fit_s": fit_s, "score_s": score_s, "auc": roc_auc_score(labels, scores), "n_iter": int(kmeans.n_iter_)}

    print(json.dumps(out))


if __name__ == "__main__":
    main()

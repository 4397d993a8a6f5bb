#!/usr/bin/python3
"""latent's autoencoder beside scikit-learn's PCA and IsolationForest on the same breast cancer split.

Reads split.npz as examples/15_tabular_anomaly.cpp writes it (the row indices of the benign fitting rows, the
benign validation rows and the held-out test rows, and latent's reconstruction errors for the last two), then,
with the same standardisation (fitted on the benign fitting rows; StandardScaler divides by the population
standard deviation, as latent's Scaler) and the same threshold rule (the 95th percentile, nearest rank, of the
benign validation rows' scores), scores
  - PCA with 8 components (the autoencoder's code size): the mean squared reconstruction error per row;
  - IsolationForest (200 trees, random_state=0): minus score_samples, so that higher means more anomalous;
and prints precision, recall and ROC AUC (malignant is the positive class) for the three.

    /usr/bin/python3 benchmarks/sklearn_anomaly.py out/tabular_anomaly/split.npz
"""

import math
import sys

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import precision_score, recall_score, roc_auc_score
from sklearn.preprocessing import StandardScaler

THRESHOLD_PERCENTILE = 95
CODE_SIZE = 8


def percentile(values, p):
    """The nearest-rank percentile, as the example computes it."""
    ordered = np.sort(values)
    rank = max(math.ceil(p / 100 * len(ordered)), 1)
    return ordered[rank - 1]


def report(name, validation_scores, test_scores, malignant):
    threshold = percentile(validation_scores, THRESHOLD_PERCENTILE)
    flagged = test_scores > threshold
    return (name, precision_score(malignant, flagged, zero_division=0), recall_score(malignant, flagged),
            roc_auc_score(malignant, test_scores))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    split = np.load(sys.argv[1])
    data = load_breast_cancer()  # the same CSV the example reads: 0 malignant, 1 benign
    x, y = data.data, data.target
    fit, validation, test = split["fit"], split["validation"], split["test"]
    assert (y[fit] == 1).all() and (y[validation] == 1).all(), "fitting and validation rows must be benign"
    malignant = y[test] == 0

    scaler = StandardScaler().fit(x[fit])
    x_fit, x_validation, x_test = (scaler.transform(x[rows]) for rows in (fit, validation, test))

    pca = PCA(n_components=CODE_SIZE).fit(x_fit)

    def pca_error(z):
        return ((pca.inverse_transform(pca.transform(z)) - z) ** 2).mean(axis=1)

    forest = IsolationForest(n_estimators=200, random_state=0).fit(x_fit)

    rows = [
        report("latent autoencoder 30-16-8-16-30", split["latent_validation_errors"], split["latent_test_errors"],
               malignant),
        report(f"PCA, {CODE_SIZE} components", pca_error(x_validation), pca_error(x_test), malignant),
        report("IsolationForest, 200 trees", -forest.score_samples(x_validation), -forest.score_samples(x_test),
               malignant),
    ]
    print(f"{len(fit)} benign rows fit, {len(validation)} choose the threshold "
          f"({THRESHOLD_PERCENTILE}th percentile); test: {malignant.sum()} malignant, {(~malignant).sum()} benign\n")
    print(f"{'method':<34} {'precision':>9} {'recall':>7} {'ROC AUC':>8}")
    for name, precision, recall, auc in rows:
        print(f"{name:<34} {precision:>9.3f} {recall:>7.3f} {auc:>8.4f}")


if __name__ == "__main__":
    main()

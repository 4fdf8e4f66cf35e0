"""The seed's Boston housing example (seeds/003, section 3.6) as the lecture writes it: 4-fold cross-validation of a
64-64-1 MLP, rmsprop, mse loss and mae metric, batch size 1, a fresh model per fold, validation scored once at the
end of each fold. A faithful copy of ../shared/baselines/boston_kfold.py, kept here so the benchmark runs from the
project alone; --rows writes the 404 training rows it uses (the same permutation) to a file, for nnrun to train on.

    KERAS_BACKEND=tensorflow python benchmarks/baselines/boston_kfold.py boston-housing.csv [--epochs 500]

Prints one JSON line: import, k-fold and whole-process seconds, and each fold's validation MAE.
"""

import argparse
import json
import time

t_start = time.time()
import keras
import numpy as np

p = argparse.ArgumentParser()
p.add_argument("data")
p.add_argument("--epochs", type=int, default=500)
p.add_argument("--k", type=int, default=4)
p.add_argument("--batch-size", type=int, default=1)
p.add_argument("--rows", help="write the training rows here and stop")
a = p.parse_args()
t_import = time.time()

keras.utils.set_random_seed(113)
d = np.loadtxt(a.data)  # whitespace separated, 14 columns
d = d[np.random.RandomState(113).permutation(len(d))]
n = int(len(d) * 0.8)  # 404 training rows, 102 test rows, as keras.datasets.boston_housing
train_data, train_targets = d[:n, :13], d[:n, 13]
if a.rows:
    np.savetxt(a.rows, d[:n])
    raise SystemExit(0)
mean, std = train_data.mean(axis=0), train_data.std(axis=0)
train_data = (train_data - mean) / std


def build_model():
    model = keras.Sequential(
        [
            keras.Input((train_data.shape[1],)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
    return model


k, num_val = a.k, len(train_data) // a.k
scores = []
t_fit = time.time()
for i in range(k):
    val_x, val_y = train_data[i * num_val : (i + 1) * num_val], train_targets[i * num_val : (i + 1) * num_val]
    part_x = np.concatenate([train_data[: i * num_val], train_data[(i + 1) * num_val :]])
    part_y = np.concatenate([train_targets[: i * num_val], train_targets[(i + 1) * num_val :]])
    model = build_model()
    model.fit(part_x, part_y, epochs=a.epochs, batch_size=a.batch_size, verbose=0)
    scores.append(model.evaluate(val_x, val_y, verbose=0)[1])
t_done = time.time()
print(
    json.dumps(
        {
            "script": "boston_kfold",
            "backend": keras.backend.backend(),
            "epochs": a.epochs,
            "k": k,
            "import_s": round(t_import - t_start, 2),
            "kfold_s": round(t_done - t_fit, 2),
            "total_s": round(time.time() - t_start, 2),
            "fold_val_mae": scores,
            "mean_val_mae": float(np.mean(scores)),
        }
    )
)

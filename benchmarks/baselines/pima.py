"""The seed's Pima example (seeds/000 and 001) as the lecture writes it: numpy arrays straight into `model.fit`,
Keras's defaults, a 12-8-1 MLP, adam, 1500 epochs of batch 64, the first 700 rows to train and the last 68 to
test. A faithful copy of ../shared/baselines/pima.py, kept here so the benchmark runs from the project alone.

    KERAS_BACKEND=tensorflow python benchmarks/baselines/pima.py pima-indians-diabetes.csv [--epochs 1500] [--seed 777]

Prints one JSON line: import, fit and whole-process seconds, and the test loss and accuracy.
"""

import argparse
import json
import time

t_start = time.time()
import keras  # noqa: E402 - the import is part of what a user waits for, and is timed
import numpy as np  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("csv")
parser.add_argument("--epochs", type=int, default=1500)
parser.add_argument("--seed", type=int, default=777)  # the lecture's
args = parser.parse_args()
t_import = time.time()

keras.utils.set_random_seed(args.seed)
dataset = np.loadtxt(args.csv, delimiter=",")
x_train, y_train = dataset[:700, 0:8], dataset[:700, 8]
x_test, y_test = dataset[700:, 0:8], dataset[700:, 8]

model = keras.Sequential(
    [
        keras.Input((8,)),
        keras.layers.Dense(12, activation="relu"),
        keras.layers.Dense(8, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ]
)
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
t_fit = time.time()
model.fit(x_train, y_train, epochs=args.epochs, batch_size=64, verbose=0)
t_done = time.time()
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(
    json.dumps(
        {
            "script": "pima",
            "backend": keras.backend.backend(),
            "epochs": args.epochs,
            "import_s": round(t_import - t_start, 2),
            "fit_s": round(t_done - t_fit, 2),
            "total_s": round(time.time() - t_start, 2),
            "test_loss": loss,
            "test_accuracy": accuracy,
        }
    )
)

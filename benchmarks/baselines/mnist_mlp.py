"""The seed's MNIST MLP (seeds/003 and 004: Dense 512 relu, Dense 10 softmax, rmsprop, batch 128) on random data of
MNIST's shape, as the lecture writes it. A faithful copy of ../shared/baselines/mnist_mlp.py, kept here so the
benchmark runs from the project alone.

    KERAS_BACKEND=tensorflow python benchmarks/baselines/mnist_mlp.py [--epochs 2]

Prints one JSON line: seconds per epoch of 60,000 rows after a warm-up, and the GFLOP/s that makes.
"""
import argparse, json, time

t_start = time.time()
import numpy as np
import keras

p = argparse.ArgumentParser()
p.add_argument("--epochs", type=int, default=2)
p.add_argument("--rows", type=int, default=60000)
a = p.parse_args()

rng = np.random.default_rng(0)
x = rng.random((a.rows, 784), dtype=np.float32)
y = rng.integers(0, 10, a.rows)
keras.utils.set_random_seed(1)
model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(512, activation="relu"),
                          keras.layers.Dense(10, activation="softmax")])
model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x[:1280], y[:1280], epochs=1, batch_size=128, verbose=0)  # warm-up: build and compile
t = time.time()
model.fit(x, y, epochs=a.epochs, batch_size=128, verbose=0)
epoch_s = (time.time() - t) / a.epochs
flops = a.rows * (784 * 512 + 512 * 10) * 2 * 3  # forward + backward, two matmuls
print(json.dumps({"script": "mnist_mlp", "backend": keras.backend.backend(), "epoch_s": round(epoch_s, 3),
                  "gflops": round(flops / epoch_s / 1e9, 1), "total_s": round(time.time() - t_start, 2)}))

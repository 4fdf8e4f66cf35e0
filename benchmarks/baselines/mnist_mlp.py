"""The seed's first MNIST network (seeds/003, section 2.1), as the lecture writes it: Keras's MNIST archive read by
keras.datasets.mnist.load_data(), images reshaped to 784 values and divided by 255, one-hot labels, Dense 512 relu,
Dense 10 softmax, rmsprop, categorical cross-entropy, 5 epochs of batch 128, then the test accuracy. A faithful
copy of ../shared/baselines/mnist_mlp.py made to read the real archive, kept here so the benchmark runs from the
project alone. Keras finds the archive in $KERAS_HOME/datasets (benchmarks/run.py links the shared copy there).

    KERAS_BACKEND=tensorflow KERAS_HOME=DIR python benchmarks/baselines/mnist_mlp.py [--epochs 5] [--seed N]

Prints one JSON line: the median seconds of the epochs after the first (which builds and traces the model), the
GFLOP/s that makes, the test accuracy, and the seconds from start to end. The fit is silent (verbose=0), so that
the progress bar's printing is not timed. Unseeded, as the lecture runs it; --seed N calls
keras.utils.set_random_seed(N) first (to compare backends seed by seed: README, "The seed examples").
"""

import argparse
import json
import time

t_start = time.time()
import keras
import numpy as np
from keras import layers, models
from keras.datasets import mnist
from keras.utils import to_categorical

p = argparse.ArgumentParser()
p.add_argument("--epochs", type=int, default=5)
p.add_argument("--seed", type=int, default=None)
a = p.parse_args()
if a.seed is not None:
    keras.utils.set_random_seed(a.seed)


class EpochTimes(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.t = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.t)


(train_images, train_labels), (test_images, test_labels) = mnist.load_data()
train_images = train_images.reshape((60000, 28 * 28)).astype("float32") / 255
test_images = test_images.reshape((10000, 28 * 28)).astype("float32") / 255
train_labels = to_categorical(train_labels)
test_labels = to_categorical(test_labels)

network = models.Sequential()
network.add(keras.Input((28 * 28,)))
network.add(layers.Dense(512, activation="relu"))
network.add(layers.Dense(10, activation="softmax"))
network.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
times = EpochTimes()
network.fit(train_images, train_labels, epochs=a.epochs, batch_size=128, verbose=0, callbacks=[times])
test_loss, test_acc = network.evaluate(test_images, test_labels, verbose=0)
epoch_s = float(np.median(times.seconds[1:] or times.seconds))
flops = 60000 * (784 * 512 + 512 * 10) * 2 * 3  # forward + backward, two matmuls
print(
    json.dumps(
        {
            "script": "mnist_mlp",
            "backend": keras.backend.backend(),
            "seed": a.seed,
            "epoch_s": round(epoch_s, 3),
            "epochs_s": [round(s, 3) for s in times.seconds],
            "gflops": round(flops / epoch_s / 1e9, 1),
            "test_accuracy": round(float(test_acc), 4),
            "total_s": round(time.time() - t_start, 2),
        }
    )
)

"""The preprocessing state a run keeps (preprocess.json): features, target, classes and scaling."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np


ALIGNMENT = 64  # bytes: jax on CPU uses a host array this aligned in place instead of copying it to the device


def aligned_empty(shape: tuple[int, ...]) -> np.ndarray:
    """An uninitialised float32 array whose data starts on an ALIGNMENT boundary, so that jax.device_put on CPU
    shares it rather than copying it (numpy itself aligns to 16 bytes): one copy of the training rows, not two."""
    count = int(np.prod(shape))
    raw = np.empty(count * 4 + ALIGNMENT, dtype=np.uint8)
    start = -raw.ctypes.data % ALIGNMENT
    return raw[start : start + count * 4].view(np.float32).reshape(shape)


@dataclass
class Scaler:
    """Feature scaling as an affine map x * factor + offset, fitted on training rows only."""

    kind: str = "none"  # none | standard | minmax | divide
    factor: Any = 1.0  # a number, or one per feature
    offset: Any = 0.0
    stats: dict[str, Any] = field(default_factory=dict)  # mean/std or min/max, for people reading the JSON

    @classmethod
    def fit(cls, scale: str | float, x: np.ndarray) -> Scaler:
        """Fit `scale` (none | standard | minmax | a divisor) on the rows of `x`."""
        if scale == "none":
            return cls()
        if not isinstance(scale, str):
            return cls("divide", 1.0 / float(scale), 0.0, {"divisor": float(scale)})
        from sklearn.preprocessing import MinMaxScaler, StandardScaler

        flat = x.reshape(len(x), -1).astype(np.float64)
        if scale == "standard":
            s = StandardScaler().fit(flat)
            factor, offset = 1.0 / s.scale_, -s.mean_ / s.scale_
            stats = {"mean": s.mean_.tolist(), "std": s.scale_.tolist()}
        else:
            s = MinMaxScaler().fit(flat)
            factor, offset = s.scale_, s.min_
            stats = {"min": s.data_min_.tolist(), "max": s.data_max_.tolist()}
        return cls(scale, factor.tolist(), offset.tolist(), stats)

    def apply(self, x: np.ndarray) -> np.ndarray:
        """Scaled float32 copy of `x` (x itself when it is float32 and the scaler does nothing)."""
        if self.kind == "none":
            return x.astype(np.float32, copy=False)
        if self.kind == "divide":  # in float32, as the seeds' astype('float32') / 255, without float64 copies
            out = aligned_empty(x.shape)  # the one copy: divided in place (the same values as astype(...) / 255)
            out[...] = x
            out /= np.float32(self.stats["divisor"])
            return out
        shape = x.shape
        factor = np.asarray(self.factor, dtype=np.float64)
        offset = np.asarray(self.offset, dtype=np.float64)
        flat = x.reshape(len(x), -1).astype(np.float64)
        return (flat * factor + offset).astype(np.float32).reshape(shape)

    def invert(self, x: np.ndarray) -> np.ndarray:
        """The values before `apply` (float64, the shape of `x`): what samples.png draws. A feature the scaler
        multiplied by 0 comes back as its offset's preimage, 0."""
        if self.kind == "none":
            return np.asarray(x, dtype=np.float64)
        if self.kind == "divide":
            return np.asarray(x, dtype=np.float64) * self.stats["divisor"]
        factor = np.asarray(self.factor, dtype=np.float64)
        offset = np.asarray(self.offset, dtype=np.float64)
        flat = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        safe = np.where(factor == 0, 1.0, factor)
        return np.where(factor == 0, 0.0, (flat - offset) / safe).reshape(x.shape)


@dataclass
class Preprocess:
    """Everything `nnrun predict` needs to turn new rows into model inputs and outputs into answers."""

    source: str  # "csv", "inline" or "sklearn:<name>"
    task: str  # classification | regression
    target_kind: str  # binary | sparse | onehot | raw: how the loss takes its targets
    feature_names: list[str]
    target_name: str
    classes: list | None = None  # class labels in class-id order (classification)
    scaler: Scaler = field(default_factory=Scaler)
    input_shape: list[int] = field(default_factory=list)
    csv: dict[str, Any] | None = None  # header, separator, encoding, feature_columns, target_column, n_columns

    def to_json(self) -> dict[str, Any]:
        """Plain data for preprocess.json."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Preprocess:
        """Rebuild from preprocess.json."""
        data = dict(data)
        data["scaler"] = Scaler(**data.get("scaler", {}))
        return cls(**data)

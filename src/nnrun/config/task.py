"""What task a loss makes (classification or regression) and how it wants its targets encoded, from the loss's
name alone: the config's side of the target, used by plain `nnrun check` (no numpy) as well as by the data."""

from __future__ import annotations

from typing import Literal

Kind = Literal["binary", "sparse", "onehot", "raw"]


def loss_name(loss: str | dict) -> str:
    """The loss's name in one spelling: lower case without underscores ("BinaryCrossentropy" -> "binarycrossentropy")."""
    name = loss["name"] if isinstance(loss, dict) else loss
    return name.replace("_", "").lower()


def target_kind(loss: str | dict) -> Kind:
    """How the loss wants its targets: binary 0/1, sparse class ids, one-hot rows, or raw values.

    Any spelling Keras accepts (binary_crossentropy, BinaryCrossentropy, bce, ...) maps to the same kind."""
    name = loss_name(loss)
    if name.startswith("sparsecategorical"):
        return "sparse"
    if name.startswith("categorical"):
        return "onehot"
    if name.startswith("binary") or name in ("bce", "hinge", "squaredhinge"):
        return "binary"
    return "raw"


def infer_task(loss: str | dict) -> str:
    """classification for cross-entropy and hinge losses (their targets are classes), else regression."""
    return "classification" if target_kind(loss) != "raw" else "regression"

"""history.png: loss and metric curves over epochs, training against validation."""

from __future__ import annotations

from pathlib import Path

from nnrun.runs import atomic_write


def history_png(rows: list[dict[str, float]], path: Path, title: str) -> None:
    """Plot one panel per quantity (loss first), training solid and validation dashed; write `path` atomically."""
    import io

    import matplotlib

    matplotlib.use("Agg")  # files only: no display on servers and CI
    import matplotlib.pyplot as plt

    names = [k for k in (rows[0] if rows else {}) if k != "epoch" and not k.startswith("val_")]
    names = names or ["loss"]
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.4), squeeze=False)
    epochs = [r["epoch"] for r in rows]
    for ax, name in zip(axes[0], names):
        ax.plot(epochs, [r.get(name, float("nan")) for r in rows], label="training", color="tab:blue")
        if any(f"val_{name}" in r for r in rows):
            ax.plot(epochs, [r.get(f"val_{name}", float("nan")) for r in rows], label="validation",
                    color="tab:orange", linestyle="--")
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    atomic_write(path, buffer.getvalue())

"""The README's pictures and its `nnrun compare` table, remade from real runs (issue 15).

    NNRUN_DATA_DIR=../shared/datasets python docs/images/make.py [--keep DIR]

Trains into a temporary runs folder (--keep: into DIR, kept), as a user would, each run a new process:
- the quick start three times: as written, with `--set epochs=50 --set 'layers[0].units=32'` (the README's
  next step), and with `--set batch_size=8`;
- configs/digits.yaml, for a confusion matrix of ten classes;
- configs/boston.yaml under `nnrun kfold` as written (4 folds of 100 epochs, then the refit: a minute or two).
Then it draws `nnrun compare --plot val_loss` over the quick-start runs and copies the pictures into docs/images/ as
palette PNGs (256 colours, fewer if need be: the plots are flat colours and lose nothing visible), each under
100 KB; a picture still larger is scaled down. Last it runs `nnrun compare` over the quick-start runs in a
pseudo-terminal 100 columns wide, and writes what it shows into the README's console block of
`nnrun compare runs/*-quickstart`, whose run names and figures the pictures share. It needs nothing nnrun
does not install (Pillow comes with matplotlib). About a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
NNRUN = [sys.executable, "-m", "nnrun"]
LIMIT = 100_000  # bytes per picture: the README loads every one of them
WIDTH = 100  # the terminal the compare table is captured at

QUICKSTART = [[], ["--set", "epochs=50", "--set", "layers[0].units=32"], ["--set", "batch_size=8"]]


def nnrun(*args: str, runs: Path) -> Path:
    """Run one `nnrun train|kfold` to its end; the run folder it made."""
    before = set(runs.iterdir()) if runs.is_dir() else set()
    print("$ nnrun " + " ".join(args), flush=True)
    done = subprocess.run([*NNRUN, *args, "--quiet", "--runs-dir", str(runs)], cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"nnrun {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    (made,) = set(runs.iterdir()) - before
    return made


def on_terminal(args: list[str], columns: int) -> str:
    """What `args` prints on a terminal `columns` wide (a pseudo-terminal), without colours and styles."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: its stdout is the terminal
        os.chdir(REPO)
        os.environ.update(NO_COLOR="1", TERM="xterm", COLUMNS=str(columns))
        os.execv(args[0], args)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    text = b"".join(chunks).decode("utf-8").replace("\r\n", "\n")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{text}")
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    return "\n".join(line.split("\r")[-1].rstrip() for line in text.split("\n"))  # a live line: its last state


def small_png(source: Path, target: Path) -> int:
    """Copy the PNG `source` to `target` as a palette PNG under LIMIT bytes; its size."""
    from PIL import Image

    image = Image.open(source).convert("RGB")
    while True:
        # Fewer colours before fewer pixels: a noisy k-fold plot needs them less than its small print needs pixels.
        for colours in (256, 128, 64):
            image.quantize(colors=colours, method=Image.Quantize.FASTOCTREE).save(target, optimize=True)
            size = target.stat().st_size
            if size <= LIMIT:
                return size
        image = image.resize((image.width * 9 // 10, image.height * 9 // 10), Image.Resampling.LANCZOS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="train into this runs folder and keep it (default: a temporary one)")
    args = parser.parse_args()
    if not (Path(os.environ.get("NNRUN_DATA_DIR", REPO / "data")) / "boston-housing.csv").is_file():
        raise SystemExit("boston-housing.csv is not in $NNRUN_DATA_DIR; point it at the shared datasets folder")
    with tempfile.TemporaryDirectory() as temporary:
        runs = (args.keep or Path(temporary) / "runs").resolve()
        runs.mkdir(parents=True, exist_ok=True)
        quick = [nnrun("train", "configs/quickstart.yaml", *extra, runs=runs) for extra in QUICKSTART]
        digits = nnrun("train", "configs/digits.yaml", runs=runs)
        boston = nnrun("kfold", "configs/boston.yaml", runs=runs)
        overlay = Path(temporary) / "compare-val_loss.png"
        subprocess.run(
            [*NNRUN, "compare", *map(str, quick), "--plot", "val_loss", "-o", str(overlay)], cwd=REPO, check=True
        )
        pictures = {
            "quickstart-history.png": quick[0] / "history.png",
            "digits-confusion.png": digits / "confusion.png",
            "boston-kfold-history.png": boston / "history.png",
            "compare-val_loss.png": overlay,
        }
        for name, source in pictures.items():
            size = small_png(source, HERE / name)
            print(f"docs/images/{name}: {size / 1000:.0f} KB (from {source.stat().st_size / 1000:.0f} KB)")
        table = on_terminal([*NNRUN, "compare", *map(str, quick)], WIDTH)
        readme = REPO / "README.md"
        text = readme.read_text(encoding="utf-8")
        block = re.compile(r"(```console\n\$ nnrun compare runs/\*-quickstart\n).*?(```)", re.DOTALL)
        if block.search(text):  # the README's table beside the pictures: the same runs
            readme.write_text(
                block.sub(lambda m: m.group(1) + table.strip("\n") + "\n" + m.group(2), text, count=1), encoding="utf-8"
            )
            print("README.md: the console block of `nnrun compare runs/*-quickstart` rewritten")
        print(f"\n$ nnrun compare   # at {WIDTH} columns\n{table}")
        if args.keep is None:
            shutil.rmtree(runs)


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Check that nnrun trains on the GPU that is there (issue 20): install what is missing from a folder of wheels,
# then run the quickstart, real MNIST (--device gpu and auto), a k-fold, a 3-trial sweep and the MNIST epoch's
# throughput, each printed with the device its env.json records, its result and its time (benchmarks/gpu_check.py).
#
#     benchmarks/gpu_check.sh [--cpu] [--small] [--wheels DIR] [--data DIR] [--out DIR] [--budget SECONDS]
#
# On a machine with a GPU and no network (the lent H200): first, where there is network, run
# benchmarks/gpu_wheels.sh, which fills .gpu/ (wheels/ and data/, about 24 MB); carry .gpu there, then run this.
#
#   --cpu        the dry run, on a machine without a GPU: everything but the GPU requirement (every run on the
#                cpu; the wheels are installed only by a Python 3.12, as there, into a temporary folder)
#   --small      fewer epochs (mnist 2, k-fold 50 with 3 folds, sweep 50): minutes on a CPU
#   --wheels DIR the wheels and requirements.txt (default .gpu/wheels), installed with pip --target into a
#                temporary folder put first on PYTHONPATH: nothing installed changes; none there: none installed
#   --data DIR   NNRUN_DATA_DIR: pima-indians-diabetes.csv, keras/datasets/mnist.npz (default .gpu/data, else
#                $NNRUN_DATA_DIR)
#   --out DIR    summary.md, summary.json, setup.txt, log.txt, runs.tar.gz (default $OUT, else ./gpu-check)
#   --budget S   seconds for the runs, after the install (default 420: with the install, within 8 minutes)
#
# Python: $PYTHON, else python3. nnrun itself runs from this checkout (PYTHONPATH=src), not from a wheel.
# Exit 0 when every run trained on the device (gpu, or cpu with --cpu) with MNIST in the CPU's accuracy band;
# 1 otherwise; 2 when the setup failed (the install, or no GPU that jax can use).
set -uo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
PYTHON=${PYTHON:-python3}
DEVICE=gpu SMALL="" WHEELS=.gpu/wheels DATA="" OUTDIR=${OUT:-$REPO/gpu-check} BUDGET=420
while [ $# -gt 0 ]; do
    case "$1" in
        --cpu) DEVICE=cpu ;;
        --small) SMALL=--small ;;
        --wheels) WHEELS=$2; shift ;;
        --data) DATA=$2; shift ;;
        --out) OUTDIR=$2; shift ;;
        --budget) BUDGET=$2; shift ;;
        -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "error: gpu_check.sh: unknown argument $1; see --help" >&2; exit 2 ;;
    esac
    shift
done
if [ -z "$DATA" ]; then
    if [ -d .gpu/data ]; then DATA=.gpu/data; else DATA=${NNRUN_DATA_DIR:-data}; fi
fi
DATA=$(cd "$DATA" && pwd) || { echo "error: --data $DATA: no such folder" >&2; exit 2; }
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
SETUP=$OUTDIR/setup.txt
started=$(date +%s)

say() { echo "$@" | tee -a "$SETUP"; }
: >"$SETUP"
say "gpu_check: device $DEVICE${SMALL:+, small}; $($PYTHON --version 2>&1) at $(command -v "$PYTHON"); $(uname -m)"
if command -v nvidia-smi >/dev/null; then
    say "nvidia-smi: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | head -4)"
fi

# 1. What is missing, from the wheels: installed into a folder of their own (--target), first on PYTHONPATH,
# so that nothing installed changes (the carried versions win over older ones there)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ -f "$WHEELS/requirements.txt" ] && [ "$version" = 3.12 ]; then
    say "installing the $(ls "$WHEELS"/*.whl | wc -l) wheels of $WHEELS into $scratch/site (pip --target)"
    if ! "$PYTHON" -m pip install --no-index --no-deps --no-compile --no-cache-dir --disable-pip-version-check \
            --target "$scratch/site" "$WHEELS"/*.whl >>"$SETUP" 2>&1; then
        tail -5 "$SETUP"
        echo "error: pip could not install the wheels of $WHEELS (above; all of it in $SETUP)" >&2
        exit 2
    fi
    export PYTHONPATH=$scratch/site${PYTHONPATH:+:$PYTHONPATH}
elif [ -f "$WHEELS/requirements.txt" ]; then
    if [ "$DEVICE" = gpu ]; then
        echo "error: the wheels of $WHEELS are for Python 3.12, and $PYTHON is $version: set PYTHON" >&2
        exit 2
    fi
    say "the wheels of $WHEELS are for Python 3.12, and $PYTHON is $version: not installed (the dry run uses what is installed here)"
else
    say "no $WHEELS/requirements.txt: nothing installed (benchmarks/gpu_wheels.sh makes it)"
fi

# 2. nnrun from this checkout; the data: pima's CSV, and a KERAS_HOME that links the real mnist.npz (Keras
# deletes a cached archive whose hash differs, so it never gets the carried file itself)
export PYTHONPATH=$REPO/src${PYTHONPATH:+:$PYTHONPATH} NNRUN_DATA_DIR=$DATA PYTHONUNBUFFERED=1 KERAS_HOME=$scratch/keras-home
mkdir -p "$KERAS_HOME/datasets"
[ -f "$DATA/keras/datasets/mnist.npz" ] || { echo "error: $DATA/keras/datasets/mnist.npz: missing; run benchmarks/gpu_wheels.sh, or give --data" >&2; exit 2; }
ln -s "$DATA/keras/datasets/mnist.npz" "$KERAS_HOME/datasets/mnist.npz"

# 3. Every requirement met (nnrun's, theirs, and so on), as the Python that runs sees them; the GPU
# requirement: jax must see one (Keras trains on jax's first device)
KERAS_BACKEND=jax XLA_PYTHON_CLIENT_PREALLOCATE=false "$PYTHON" - "$DEVICE" "$WHEELS/requirements.txt" \
    >>"$SETUP" 2>&1 <<'EOF'
import os
import sys
from importlib.metadata import PackageNotFoundError, distribution, version

from packaging.requirements import Requirement

wanted = [line for line in open(sys.argv[2]).read().splitlines() if line and not line.startswith("#")] \
    if os.path.isfile(sys.argv[2]) else []
todo, seen, problems = [Requirement(r) for r in wanted], set(), []
while todo:
    requirement = todo.pop()
    if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
        continue
    try:
        found = distribution(requirement.name)
    except PackageNotFoundError:
        problems.append(f"{requirement}: not installed")
        continue
    if not requirement.specifier.contains(found.version, prereleases=True):
        problems.append(f"{requirement}: {found.version} is installed")
    if requirement.name.lower() not in seen:
        seen.add(requirement.name.lower())
        todo += [Requirement(r) for r in found.requires or []]
print(f"requirements: {len(seen)} packages checked" + ("; " + "; ".join(problems) if problems else ", all met"))
if problems:
    sys.exit("error: requirements not met (above): add their wheels with benchmarks/gpu_wheels.sh")

import jax
import keras  # noqa: F401 - importable

names = ["keras", "jax", "jaxlib", "optuna", "pydantic", "typer", "numpy", "pandas"]
print("versions:", ", ".join(f"{n} {version(n)}" for n in names))
print("jax devices:", jax.devices())
from nnrun.engine.backend import gpu_devices, jax_has_cuda

print("jax's CUDA plugin:", jax_has_cuda(), "; nnrun sees:", gpu_devices("jax"))
if sys.argv[1] == "gpu" and not gpu_devices("jax"):
    sys.exit("error: jax sees no GPU here: nothing to check")
EOF
status=$?
tail -4 "$SETUP"
if [ $status -ne 0 ]; then
    echo "error: the setup failed (above; all of it in $SETUP)" >&2
    exit 2
fi

# 4. The runs, in what is left of the budget
spent=$(( $(date +%s) - started ))
echo "setup took ${spent} s"
"$PYTHON" benchmarks/gpu_check.py --out "$OUTDIR" --device "$DEVICE" $SMALL --budget "$BUDGET"

#!/usr/bin/env bash
# Gather, on a machine with network, what benchmarks/gpu_check.sh needs on a GPU machine without one: the wheels
# of nnrun's dependencies that machine lacks, and the data of its runs.
#
#     NNRUN_DATA_DIR=../shared/datasets benchmarks/gpu_wheels.sh [FOLDER]      # FOLDER: .gpu (git ignores it)
#
# FOLDER/wheels/    the wheels, for CPython 3.12 on x86-64 Linux (manylinux), of the versions installed here (the
#                   tested ones: tested.txt), and requirements.txt: nnrun's dependencies but tensorflow and jax,
#                   as pyproject.toml gives them, for gpu_check.sh to install
# FOLDER/data/      pima-indians-diabetes.csv and keras/datasets/mnist.npz (11 MB), as NNRUN_DATA_DIR lays them out
#
# The target is the lent H200 (see the device tool's KINDS.md): Python 3.12, jax with its CUDA plugin, no
# Keras, no TensorFlow, no network. Its jax trains; TensorFlow (600 MB) is not needed for that and not carried.
# pip resolves the whole set of dependencies for that machine; the wheels of packages already installed there
# (PRESENT, from KINDS.md) are left out, but for small pure-Python ones (INSURANCE) carried in case the version
# there is too old. gpu_check.sh installs every carried wheel into a folder of its own, first on PYTHONPATH (the
# carried versions win), then checks that every requirement is met.
# The device tool carries at most 64 MiB in all, the repository's files included: the script prints the size.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
FOLDER=${1:-$REPO/.gpu}
PYTHON=${PYTHON:-python3}
DATA=${NNRUN_DATA_DIR:-$REPO/data}
PLATFORMS=(manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_24_x86_64 manylinux_2_17_x86_64
           manylinux2014_x86_64 manylinux1_x86_64)
# On the H200 machine already (KINDS.md, "Python packages already there"), named as pip normalises them.
PRESENT="absl-py annotated-doc click cloudpickle contourpy cycler filelock fonttools fsspec h5py jinja2 joblib
kiwisolver markdown-it-py markupsafe matplotlib mdurl ml-dtypes narwhals numpy packaging pandas pillow pygments
pyparsing python-dateutil pyyaml rich scikit-learn scipy shellingham six threadpoolctl tqdm typer
typing-extensions tzdata"
# Present there, but nnrun may need newer versions (typer>=0.29 needs pydantic, which is not there: its typer is
# older), and small: carried.
INSURANCE="typer rich typing-extensions annotated-doc shellingham markdown-it-py mdurl pygments"

mkdir -p "$FOLDER/wheels" "$FOLDER/data/keras/datasets"
rm -f "$FOLDER/wheels/"*.whl
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$PYTHON" - "$REPO/pyproject.toml" "$FOLDER/wheels" <<'EOF'
import re
import sys
from importlib import metadata

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

with open(sys.argv[1], "rb") as f:
    requirements = tomllib.load(f)["project"]["dependencies"]
wanted, tested = [], []
for requirement in requirements:
    requirement = requirement.split("#")[0].strip()
    name = re.match(r"[A-Za-z0-9_.-]+", requirement).group(0)
    if name in ("tensorflow", "jax"):  # the GPU machine's own jax (with CUDA) trains; TensorFlow is not needed
        continue
    wanted.append(requirement)
    try:
        tested.append(f"{name}=={metadata.version(name)}")
    except metadata.PackageNotFoundError:
        tested.append(requirement)
with open(f"{sys.argv[2]}/requirements.txt", "w") as f:
    f.write("# nnrun's dependencies but tensorflow and jax (written by benchmarks/gpu_wheels.sh)\n")
    f.write("\n".join(wanted) + "\n")
with open(f"{sys.argv[2]}/tested.txt", "w") as f:
    f.write("# the versions tested where benchmarks/gpu_wheels.sh ran: those of the carried wheels\n")
    f.write("\n".join(tested) + "\n")
EOF
echo "requirements (nnrun's, less tensorflow and jax):" $(grep -v '^#' "$FOLDER/wheels/requirements.txt")

# Everything those need on that machine: resolved for it, only the wheels' metadata downloaded
platform_args=(--only-binary=:all: --python-version 3.12 --implementation cp --abi cp312)
for p in "${PLATFORMS[@]}"; do platform_args+=(--platform "$p"); done
"$PYTHON" -m pip install --quiet --dry-run --ignore-installed --target "$work/target" "${platform_args[@]}" \
    --report "$work/report.json" -r "$FOLDER/wheels/tested.txt"
missing=$("$PYTHON" - "$work/report.json" "$PRESENT" "$INSURANCE" <<'EOF'
import json
import re
import sys

report, present, insurance = sys.argv[1], set(sys.argv[2].split()), set(sys.argv[3].split())
for item in json.load(open(report))["install"]:
    name = re.sub(r"[-_.]+", "-", item["metadata"]["name"]).lower()
    if name not in present or name in insurance:
        print(f"{name}=={item['metadata']['version']}")
EOF
)
echo "wheels to carry:" $missing
"$PYTHON" -m pip download --quiet --no-deps "${platform_args[@]}" -d "$FOLDER/wheels" $missing

cp "$DATA/pima-indians-diabetes.csv" "$FOLDER/data/"
cp "$DATA/keras/datasets/mnist.npz" "$FOLDER/data/keras/datasets/"
echo
ls -l "$FOLDER/wheels" | awk '/\.whl$/ {printf "  %8.0f KB  %s\n", $5 / 1024, $9}'
echo "wheels: $(du -sh "$FOLDER/wheels" | cut -f1); data: $(du -sh "$FOLDER/data" | cut -f1); in all:" \
     "$(du -sh "$FOLDER" | cut -f1) (the device tool carries 64 MiB, the repository's files included)"

"""Generate config/keras_names.json, Keras's names as data (see config/keras_names.py), from the installed Keras:

    python -m nnrun.engine.keras_names_json

after upgrading Keras (tests/test_model_build.py fails until the file matches). It lives here, not beside the
file, because it reads Keras's registries through engine/model.py: the config room imports nothing above it.
Importing this module does not import Keras; `generate` does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nnrun.config.keras_names import DATA, INTERNAL, KINDS, metric_traits


def generate() -> dict[str, Any]:
    """The lists, read from the installed Keras: its version, every layer with its arguments, the activations,
    and for each kind (KINDS) the names, whether they match in any case, each class's arguments; and what each
    metric class measures."""
    import keras

    from nnrun.engine import model

    data: dict[str, Any] = {"keras": keras.__version__}
    data["layers"] = {name: model.layer_arg_tags(getattr(keras.layers, name)) for name in model.layer_names()}
    data["activations"] = model.registry_names("activations")
    traits = {}
    for kind in KINDS:
        names, classes = {}, {}
        for name in model.registry_keys(kind):
            cls = model.class_for(kind, name)
            names[name] = cls.__name__ if cls is not None else None
            # Base classes and wrappers: their arguments differ by backend (jax's Optimizer), and nobody trains
            # with them; model.build reports them.
            if cls is not None and cls.__name__.lower() not in INTERNAL | {"lossfunctionwrapper", "meanmetricwrapper"}:
                classes[cls.__name__] = model.kind_arg_tags(kind, cls)
                if kind == "metrics":
                    traits[cls.__name__] = metric_traits(cls)
        data[kind] = {"names": names, "any_case": model.any_case(kind), "classes": dict(sorted(classes.items()))}
    data["metric_traits"] = dict(sorted(traits.items()))
    return data


def write(path: Path = DATA) -> None:
    """Write `generate()` to `path` (default: the package's config/keras_names.json)."""
    path.write_text(json.dumps(generate(), indent=1, sort_keys=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write()
    print(f"wrote {DATA}")

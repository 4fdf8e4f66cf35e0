"""The only place where config names become Keras objects: layers, activations, initializers,
optimizer, loss and metrics, resolved through Keras's own registries.

Every failure is a ConfigError that names the key path, the value and what would be valid.
"""

from __future__ import annotations

import inspect
import math
import re
from typing import TYPE_CHECKING, Any

import keras
import numpy as np

from nnrun.config.keras_names import (
    AUTO_ACCURACY,
    CODE_LAYERS,
    INTERNAL,
    SUFFIX_KIND,
    arg_tags,
    check_arguments,
    is_auto_accuracy,
    metric_problem,
    metric_traits,
    non_binary,
    quoted,
    unknown_layer,
    unknown_name,
)
from nnrun.engine import keras_private
from nnrun.errors import did_you_mean, first_line, keypath
from nnrun.runs.folder import direction

if TYPE_CHECKING:
    from nnrun.config.schema import Spec
    from nnrun.data import Arrays

# The values each output activation can produce (closed bounds are fine for 0/1 targets).
ACTIVATION_RANGE = {
    "sigmoid": (0.0, 1.0),
    "hard_sigmoid": (0.0, 1.0),
    "sparse_sigmoid": (0.0, 1.0),
    "tanh": (-1.0, 1.0),
    "hard_tanh": (-1.0, 1.0),
    "softsign": (-1.0, 1.0),
    "relu": (0.0, math.inf),
    "softplus": (0.0, math.inf),
    "exponential": (0.0, math.inf),
    "relu6": (0.0, 6.0),
    "elu": (-1.0, math.inf),
    "squareplus": (0.0, math.inf),
}


def registry_keys(kind: str) -> list[str]:
    """Every name in Keras's `keras.<kind>` registry (keras_private.registry), in every spelling it holds."""
    return sorted(keras_private.registry(kind))


def registry_names(kind: str) -> list[str]:
    """The lower-case names Keras's `keras.<kind>.get` accepts (the keys of its ALL_OBJECTS_DICT registry)."""
    return [k for k in registry_keys(kind) if k == k.lower() and k not in INTERNAL]


def layer_names() -> list[str]:
    """Every Keras layer class name a config can use."""
    return [
        name
        for name in dir(keras.layers)
        if inspect.isclass(getattr(keras.layers, name))
        and issubclass(getattr(keras.layers, name), keras.layers.Layer)
        and name not in ("Layer", "InputLayer")
    ]


def layer_arg_tags(cls: type) -> dict[str, str]:
    """The arguments a layer class takes (keras_names.arg_tags), its own and the Layer base class's."""
    base = [p for p in inspect.signature(keras.layers.Layer.__init__).parameters if p not in ("self", "kwargs")]
    return arg_tags(cls, extra=tuple(base))


def kind_arg_tags(kind: str, cls: type) -> dict[str, str]:
    """The arguments an initializer, regularizer, constraint, optimizer, loss or metric class takes."""
    return arg_tags(cls, extra=("name", "dtype", "reduction") if kind in ("losses", "metrics") else (), numbers=True)


def any_case(kind: str) -> bool:
    """Whether `keras.<kind>.get` finds a name in any case (optimizers: Adam, ADAM), not only as registered."""
    names = registry_keys(kind)
    probe = next((n for n in names if n.upper() not in names), None)
    if probe is None:  # no registry to probe with (keras_private.registry)
        return False
    try:
        getattr(keras, kind).get(probe.upper())
    except (ValueError, TypeError):
        return False
    return True


def class_for(kind: str, name: str) -> type | None:
    """The class that {name: <name>, <arguments>} of `kind` is built with: the registered class, or for a
    function (mse) the class of its CamelCase name (MeanSquaredError); None when there is none."""
    module = getattr(keras, kind)
    obj = keras_private.registry(kind).get(name)
    if obj is None and kind == "optimizers":  # Keras looks optimizer names up in lower case
        obj = keras.optimizers.get(name)
    if obj is None:
        return None
    if not inspect.isclass(obj):
        obj = (
            type(obj)
            if not callable(obj) or hasattr(obj, "get_config")
            else getattr(module, "".join(p.capitalize() for p in obj.__name__.split("_")), None)
        )
    return obj if inspect.isclass(obj) else None


def _split(value: str | dict) -> tuple[str, dict]:
    if isinstance(value, str):
        return value, {}
    rest = {k: v for k, v in value.items() if k != "name"}
    return value["name"], rest


def _units(n: int) -> str:
    return f"{n} unit" if n == 1 else f"{n} units"


def _resolve(spec: Spec, loc: tuple, getter, name: Any, what: str, valid: list[str]) -> Any:
    try:
        return getter(name)
    except (ValueError, TypeError):
        raise spec.error(loc, unknown_name(name, what, valid)) from None


def _construct(spec: Spec, loc: tuple, owner: str, cls: type, kwargs: dict, given: dict) -> Any:
    """`cls(**kwargs)`; an error Keras raises is reported at the argument it names (`optimizer.clipvalue`), with
    the value as `given` in the config and Keras's first sentence about what is valid, else at `loc`."""
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as e:
        _refused(spec, loc, owner, given, e)


def _refused(spec: Spec, loc: tuple, owner: str, given: dict, e: Exception, verb: str = "refuses it"):
    """Raise the ConfigError for Keras's error `e` about `owner` built from the config's arguments `given`."""
    kwargs = given
    text = first_line(e)
    # Keras names an argument as `rate`, rate=1.5 or "argument l2"; blame the last one the config gave
    # (clipnorm and clipvalue together: the second).
    named = [k for k in kwargs if re.search(rf"(`{k}`|\b{k}=|argument {k}\b|^{k}\b)", text)] or (
        list(kwargs) if len(kwargs) == 1 else []
    )  # Precision's "Threshold values must be in [0, 1]"
    problem = re.split(r"\s*Received", text.replace("`", ""))[0].rstrip(" .:,")
    unmet = re.search(r"do not satisfy (.+)$", text.replace("`", ""))
    if unmet:  # Conv2D's kernel_size 0: "... Received kernel_size=0, including values {0} that do not satisfy ..."
        problem += f" ({unmet.group(1).rstrip('.')})"
    if named:
        key = named[-1]
        raise spec.error((*loc, key), f"got {quoted(kwargs[key])}; {owner} {verb}: {problem}") from None
    if isinstance(e, TypeError) and "required" in text:
        missing = text.split("argument")[-1].strip(": ").replace("'", "")
        raise spec.error(loc, f"{owner} needs {missing} (e.g. units: 8)") from None
    raise spec.error(loc, f"{owner} rejected its arguments: {problem or text}") from None


def _object(spec: Spec, loc: tuple, value: str | dict, kind: str, what: str, instance: bool = False) -> Any:
    """A Keras initializer, regularizer, constraint, optimizer, loss or metric from a config value: a name (kept
    as the name, which Keras resolves and names things after, unless `instance`), {name: ..., <arguments>}
    (an instance, every argument checked at its key), or Keras's own {class_name: ..., config: ...}."""
    module = getattr(keras, kind)
    if isinstance(value, dict) and "name" not in value:
        return _resolve(spec, loc, module.get, value, what, registry_names(kind))
    name, kwargs = _split(value)
    name_loc = loc if isinstance(value, str) else (*loc, "name")
    obj = _resolve(spec, name_loc, module.get, name, what, registry_names(kind))
    if not kwargs and not instance:
        return name
    cls = class_for(kind, name) or (type(obj) if not inspect.isfunction(obj) else None)
    if cls is None:
        raise spec.error(loc, f"{name} takes no arguments; write it as a plain name")
    checked = check_arguments(spec, loc, cls.__name__, kind_arg_tags(kind, cls), kwargs)
    return _construct(spec, loc, cls.__name__, cls, checked, kwargs)


# --- layers ---


def _layer(spec: Spec, index: int, is_last: bool) -> keras.layers.Layer:
    layer_spec = spec.layers[index]
    loc = ("layers", index)
    names = layer_names()
    cls = getattr(keras.layers, layer_spec.type, None)
    if not (inspect.isclass(cls) and issubclass(cls, keras.layers.Layer)) or layer_spec.type not in names:
        raise spec.error((*loc, "type"), unknown_layer(layer_spec.type, names))
    if layer_spec.type in CODE_LAYERS:
        raise spec.error(
            (*loc, "type"),
            f"got {layer_spec.type!r}; {CODE_LAYERS[layer_spec.type]}, and nnrun runs no "
            "code from a config; use Keras layers that do the same, such as Rescaling, Normalization, "
            "Activation or Reshape",
        )
    kwargs = layer_spec.kwargs()
    takes_activation = "activation" in inspect.signature(cls.__init__).parameters
    if spec.activation and takes_activation and "activation" not in kwargs and not is_last:
        kwargs["activation"] = spec.activation
    given = dict(kwargs)
    kwargs = check_arguments(spec, loc, layer_spec.type, layer_arg_tags(cls), kwargs)
    for key, value in kwargs.items():
        if key == "activation" or key.endswith("_activation"):
            where = (*loc, key) if key in layer_spec.kwargs() else ("activation",)
            _resolve(spec, where, keras.activations.get, value, "activation", registry_names("activations"))
        for suffix, kind in SUFFIX_KIND.items():
            if key.endswith(suffix) and value is not None:
                kwargs[key] = _object(spec, (*loc, key), value, kind, suffix.strip("_"))
    return _construct(spec, loc, layer_spec.type, cls, kwargs, given)


# --- optimizer, loss, metrics ---


def optimizer(spec: Spec) -> keras.optimizers.Optimizer:
    """The optimizer object for `spec.optimizer` (a name or {name, arguments})."""
    return _object(spec, ("optimizer",), spec.optimizer, "optimizers", "optimizer", instance=True)


def loss(spec: Spec):
    """The loss for `spec.loss` (the Keras name, or an instance when arguments are given)."""
    return _object(spec, ("loss",), spec.loss, "losses", "loss")


def metrics(spec: Spec, arrays: Arrays | None = None) -> list:
    """The metrics for `spec.metrics`; "accuracy" stays a name so Keras picks binary/categorical/sparse.
    A metric that means nothing for the loss's targets (keras_names.metric_problem) is refused at its key."""
    from nnrun.config.task import target_kind

    kind, loss_name = target_kind(spec.loss), _split(spec.loss)[0]
    example = ... if arrays is None else non_binary(np.unique(arrays.y_train).tolist())
    out = []
    for i, value in enumerate(spec.metrics):
        loc = ("metrics", i)
        name = value if isinstance(value, str) else value.get("name")  # None: Keras's {class_name: ...} form
        if is_auto_accuracy(value):
            obj, traits = value, AUTO_ACCURACY
        else:
            obj = _object(spec, loc, value, "metrics", "metric")
            cls = class_for("metrics", name) if name is not None else None
            traits = metric_traits(cls) if cls is not None else None
        problem = metric_problem(name, traits, kind, loss_name, example) if traits else None
        if problem:
            raise spec.error(loc, problem)
        out.append(obj)
    return out


# --- the model ---


def build(spec: Spec, arrays: Arrays, notes: list[str] | None = None) -> keras.Model:
    """Build and compile the model for `spec` on data shaped like `arrays`; check its output fits the target.

    Problems that make training impossible raise ConfigError; doubtful choices are appended to `notes`."""
    if spec.activation:
        _resolve(
            spec, ("activation",), keras.activations.get, spec.activation, "activation", registry_names("activations")
        )
    shape = tuple(arrays.preprocess.input_shape)
    x = keras.Input(shape=shape)
    layers = []
    channels = channel_axis(spec, shape)
    if channels is not None:
        x = channels(x)
        layers.append(channels)
    for i in range(len(spec.layers)):
        layer = _layer(spec, i, is_last=i == len(spec.layers) - 1)
        before = x.shape
        try:  # a symbolic call: Sequential's own build hides some shape errors and stays unbuilt
            x = layer(x)
        except (ValueError, TypeError, NotImplementedError) as e:
            raise spec.error(
                ("layers", i), f"{spec.layers[i].type} cannot take input of shape {before}: {first_line(e)}"
            ) from None
        _try_constraints(spec, i, layer)
        layers.append(layer)
    _check_vocabulary(spec, layers, arrays)
    name = spec.name.replace("-", "_").replace(".", "_").replace("+", "_")
    model = keras.Sequential([keras.Input(shape=shape), *layers], name=name)
    check_output(spec, model, arrays, notes if notes is not None else [])
    loss_fn, metric_objs = loss(spec), metrics(spec, arrays)
    _try_on_rows(spec, model, arrays, loss_fn, metric_objs)
    model.compile(
        optimizer=optimizer(spec),
        loss=loss_fn,
        metrics=metric_objs,
        steps_per_execution=steps_per_execution(spec, arrays),
    )
    return model


# Keras checks some arguments only when it first uses the object, in training: MaxNorm(axis=5) or
# BinaryCrossentropy(axis=3) construct, and the run fails in fit. So the objects built from arguments in the
# config are tried once here, as training will use them (the constraints on the layer's weights, the loss and
# the metrics on a few training rows), and what Keras refuses is refused now, at its key, before any run
# folder exists. Whatever they raise, training would raise too: every exception is caught.


def _try_constraints(spec: Spec, index: int, layer: keras.layers.Layer) -> None:
    given = {k: v for k, v in spec.layers[index].kwargs().items() if k.endswith("_constraint") and isinstance(v, dict)}
    if not given:
        return
    holders = [layer, getattr(layer, "cell", None)]
    for weight in layer.weights:
        constraint = weight.constraint
        if constraint is None:
            continue
        try:
            constraint(weight.value)
        except Exception as e:  # noqa: BLE001 - see above
            keys = [k for k in given if any(getattr(h, k, None) is constraint for h in holders)] or list(given)
            key = keys[0]
            args = {k: v for k, v in given[key].items() if k != "name"}
            _axis_problem(
                spec,
                ("layers", index, key),
                type(constraint).__name__,
                args,
                f"this layer's {weight.name} (shape {tuple(weight.shape)})",
                len(weight.shape),
            )
            _refused(
                spec,
                ("layers", index, key),
                type(constraint).__name__,
                args,
                e,
                f"cannot constrain this layer's {weight.name} (shape {tuple(weight.shape)})",
            )


def _try_on_rows(spec: Spec, model: keras.Model, arrays: Arrays, loss_fn: Any, metric_objs: list) -> None:
    tried = [(("loss",), spec.loss, loss_fn)] if isinstance(spec.loss, dict) else []
    tried += [
        (("metrics", i), v, m)
        for i, (v, m) in enumerate(zip(spec.metrics, metric_objs))
        if isinstance(v, dict) and "name" in v
    ]
    if not tried or not len(arrays.x_train):
        return
    x, y = arrays.x_train[:2], arrays.y_train[:2]
    predicted = model(x, training=False)
    for loc, value, obj in tried:
        try:
            if hasattr(obj, "update_state"):
                type(obj).from_config(obj.get_config()).update_state(y, predicted)
            else:
                obj(y, predicted)
        except Exception as e:  # noqa: BLE001 - see above
            args = {k: v for k, v in value.items() if k != "name"}
            _axis_problem(
                spec,
                loc,
                type(obj).__name__,
                args,
                f"this model's outputs (shape {tuple(predicted.shape)})",
                len(predicted.shape),
            )
            _refused(spec, loc, type(obj).__name__, args, e, "fails on this model's outputs")


def _axis_problem(spec: Spec, loc: tuple, owner: str, args: dict, what: str, ndim: int) -> None:
    """Raise for an `axis` argument outside the `ndim` axes of `what`, the usual cause of the failures above
    (Keras says only "tuple index out of range")."""
    axis = args.get("axis")
    if isinstance(axis, int) and not -ndim <= axis < ndim:
        raise spec.error(
            (*loc, "axis"), f"got {axis}; {owner}'s axis must be from {-ndim} to {ndim - 1} for {what}, such as -1"
        ) from None


def param_counts(model: keras.Model) -> tuple[int, int]:
    """(all the model's parameters, the trainable ones); the optimizer's state is not counted."""
    trainable = sum(math.prod(w.shape) for w in model.trainable_weights)
    return int(model.count_params()), int(trainable)


def directions(model: keras.Model) -> dict[str, str]:
    """metrics.json's `directions`: {"loss": "min", <each compiled metric, named as Keras reports it>: "max" or
    "min"}, which way each is better. Keras's metric says where it does (keras_private.metric_direction: what its
    EarlyStopping's mode auto reads; `cosine_similarity` and `pearson_correlation` are "max"); for one that says
    nothing (true_positives), nnrun's name rules decide (runs.folder.direction). "accuracy" is "max" whichever
    accuracy compile picks for the targets."""
    out = {"loss": "min"}
    for given in model.get_compile_config().get("metrics") or ():  # as compiled: names, or serialized metrics
        try:
            metric = keras.metrics.BinaryAccuracy(name=given) if is_auto_accuracy(given) else keras.metrics.get(given)
            if not isinstance(metric, keras.metrics.Metric):  # a function (mae): compile wraps it the same way
                metric = keras.metrics.MeanMetricWrapper(metric, name=given if isinstance(given, str) else None)
        except (TypeError, ValueError):
            continue  # not one Keras can rebuild: readers decide from the name
        name = given if isinstance(given, str) else metric.name
        out[name] = keras_private.metric_direction(metric) or direction({}, name)
    return out


def steps_per_execution(spec: Spec, arrays: Arrays) -> int:
    """The config's steps_per_execution; auto = the steps of one epoch, so that Keras calls into the backend, and
    runs its per-step callback machinery, once an epoch instead of once a batch (nnrun's callbacks all work at
    epoch ends). The weights follow the same steps either way. (On jax, auto also means fitting.fit's compiled
    epochs, which do not use it.)"""
    if spec.steps_per_execution != "auto":
        return spec.steps_per_execution
    return max(1, math.ceil(len(arrays.x_train) / spec.batch_size))


def performance(spec: Spec, model: keras.Model) -> dict[str, Any]:
    """The performance settings in force, for env.json."""
    from nnrun.engine.backend import compilation_cache
    from nnrun.engine.fitting import loop

    cache = compilation_cache() if keras.backend.backend() == "jax" else None
    return {
        "training_loop": loop(model, spec.steps_per_execution == "auto"),
        "steps_per_execution": int(model.steps_per_execution),
        "jit_compile": bool(model.jit_compile),
        "compilation_cache": cache,
    }


def _check_vocabulary(spec: Spec, layers: list, arrays: Arrays) -> None:
    """Raise ConfigError when a first Embedding layer has fewer rows than the word indices it will look up
    (an out-of-range index is not an error in every backend: it would train on garbage)."""
    first = layers[0]
    if isinstance(first, keras.layers.Embedding) and len(arrays.x_train):
        highest = int(arrays.x_train.max())
        if highest >= first.input_dim:
            raise spec.error(
                ("layers", 0, "input_dim"),
                f"got {first.input_dim}, but the data holds word indices "
                f"up to {highest}: write input_dim: {spec.dataset.num_words or highest + 1}",
            )


def channel_axis(spec: Spec, shape: tuple[int, ...]) -> keras.layers.Layer | None:
    """A Reshape adding the channel axis that a first Conv2D / MaxPooling2D / ... needs when the samples have
    none (28x28 grayscale images become 28x28x1), else None. Colour images (32x32x3) already have one."""
    first = spec.layers[0]
    dims = re.search(r"([123])D$", first.type)
    if dims is None or len(shape) != int(dims.group(1)):
        return None
    target = (1, *shape) if first.kwargs().get("data_format") == "channels_first" else (*shape, 1)
    return keras.layers.Reshape(target, name="channel_axis")


def _last_activation(model: keras.Model) -> str:
    for layer in reversed(model.layers):
        act = getattr(layer, "activation", None)
        if act is not None:
            return getattr(act, "__name__", str(act))
    return "linear"


def check_output(spec: Spec, model: keras.Model, arrays: Arrays, notes: list[str]) -> None:
    """Raise ConfigError when the last layer cannot produce what the loss and target need, saying what to write;
    note an output activation whose range cannot reach every target value (it trains, but cannot fit them)."""
    pre = arrays.preprocess
    units = model.output_shape[-1]
    act = _last_activation(model)
    last = ("layers", len(spec.layers) - 1)
    if len(model.output_shape) > 2:
        fix = "add {type: Flatten} before the first Dense layer"
        if spec.layers[0].type == "Dense" and len(pre.input_shape) > 1:
            fix += ", or set dataset.flatten: true"
        elif spec.layers[0].type == "Embedding":
            fix = "add {type: GlobalAveragePooling1D} or {type: Flatten} after the Embedding layer"
        raise spec.error(
            last,
            f"the output has shape {tuple(model.output_shape)}, one prediction per position of each sample "
            f"instead of one per sample: {fix}",
        )
    loss_name, loss_args = _split(spec.loss)
    logits = bool(loss_args.get("from_logits", False))
    want_act = "linear" if logits else None
    # A wrong unit count is reported with every other change the last layer needs, so that one fix is enough.
    if pre.target_kind == "binary":
        want_act = want_act or "sigmoid"
        if units != 1:
            raise spec.error(
                last,
                f"the output has {_units(units)}, but {loss_name} needs 1: write {{type: Dense, units: 1, "
                f"activation: {want_act}}}"
                + (" (or keep 2 units with softmax and loss: sparse_categorical_crossentropy)" if units == 2 else ""),
                about=("units",),
            )
    elif pre.target_kind in ("sparse", "onehot"):
        n = len(pre.classes)
        want_act = want_act or "softmax"
        if units != n:
            shown = ", ".join(map(str, pre.classes[:5])) + (", ..." if n > 5 else "")
            fix = f"units: {n}" + (f", activation: {want_act}" if act != want_act else "")
            simpler = (
                "; or keep 1 unit with activation: sigmoid and use loss: binary_crossentropy, the simpler "
                "choice for two classes"
                if n == 2 and units == 1
                else ""
            )
            raise spec.error(
                last,
                f"the output has {_units(units)}{f' with {act}' if act != want_act else ''}, but {loss_name} on "
                f"{n} classes ({shown}) needs {n} units{f' with {want_act}' if act != want_act else ''}: write {fix}"
                f"{simpler}",
                about=("units", "activation") if act != want_act else ("units",),
            )
    else:
        if units != 1:
            fix = "units: 1" + (", activation: linear" if act == "softmax" else "")
            raise spec.error(
                last,
                f"the output has {_units(units)}, but the target is one value per row: write {fix}",
                about=("units",),
            )
        if act == "softmax":
            raise spec.error(
                last,
                "softmax over one unit always outputs 1.0: use activation: linear for a regression",
                about=("units", "activation"),
            )
        low, high = ACTIVATION_RANGE.get(act, (-math.inf, math.inf))
        y_low, y_high = arrays.target_range()
        if y_low < low or y_high > high:
            notes.append(
                f"{keypath((*last, 'activation'))}: {act} outputs values in [{low:g}, {high:g}], but the target "
                f"ranges from {y_low:.4g} to {y_high:.4g}, so some targets cannot be reached; activation: linear can"
            )
        return
    if act != want_act:
        fix = f"activation: {want_act}" + (
            "" if logits else f", or activation: linear with loss: {{name: {loss_name}, from_logits: true}}"
        )
        raise spec.error(
            (*last, "activation"),
            f"got {act}; {loss_name}{' with from_logits' if logits else ''} needs outputs from {want_act}: write {fix}",
        )


def check_monitors(spec: Spec, model: keras.Model, arrays: Arrays, kfold: bool = False) -> None:
    """Raise ConfigError when early_stopping.monitor (or, for `nnrun kfold`, kfold.monitor) names a value the
    compiled model does not report; Keras itself would only warn, every epoch. Evaluates one batch to learn
    the names (the evaluation function it compiles is the one fit and evaluate reuse)."""
    watched = []
    if spec.early_stopping is not None:
        watched.append((("early_stopping", "monitor"), spec.early_stopping.monitor))
    if kfold and spec.kfold is not None and spec.kfold.monitor is not None:
        watched.append((("kfold", "monitor"), spec.kfold.monitor))
    if not watched:
        return
    n = min(len(arrays.x_train), spec.batch_size)
    names = list(model.evaluate(arrays.x_train[:n], arrays.y_train[:n], batch_size=n, verbose=0, return_dict=True))
    valid = names + [f"val_{name}" for name in names]
    for loc, monitor in watched:
        if monitor not in valid:
            hint = did_you_mean(monitor, valid)
            raise spec.error(loc, f"got {monitor!r}, which this model does not report{hint}; valid: {', '.join(valid)}")

"""The config's JSON Schema, for editors (`nnrun schema`)."""

from __future__ import annotations

from typing import Any

from nnrun.config.schema import Spec


def json_schema() -> dict[str, Any]:
    """The config's JSON Schema (draft 2020-12), for editors."""
    schema = Spec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    # The shorthands the "before" validators accept (`kfold: 4`, `early_stopping: true`) are invisible to
    # pydantic's schema; without them an editor would flag the design document's own example.
    props = schema["properties"]
    props["kfold"]["anyOf"].insert(0, {"type": "integer", "minimum": 2})
    props["early_stopping"]["anyOf"].insert(0, {"type": "boolean"})
    return schema

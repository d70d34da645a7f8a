"""A what-if variant's document as the service receives it (docs/what-if.md): read from YAML or JSON text or a
JSON object, checked as a document and against the operation as it is now, so an unknown flight id is a 422 at
once rather than a failed job later."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import yaml
from sqlmodel import Session

from api.problems import ApiProblem
from planner.io.safe_yaml import load_yaml

MAX_DOCUMENT = 200_000
#: Stands in for the document's `base`: a stored variant's base is always its operation.
BASE = "operation"


def _invalid(errors: list[dict[str, Any]], detail: str, kind: str = "variant-invalid") -> ApiProblem:
    return ApiProblem(422, detail, kind=kind, errors=errors[:200])


def parse_document(document: str | dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The text to keep and the parsed mapping (without `base`), or a 422 naming the line or the field."""
    if isinstance(document, str):
        if len(document) > MAX_DOCUMENT:
            raise _invalid([{"field": "body.document", "message": f"longer than {MAX_DOCUMENT} characters"}],
                           "the variant document is too long")
        try:
            data = load_yaml(document)  # the planner's one YAML loader: no anchors, aliases or deep nesting
        except RecursionError:
            raise _invalid([{"field": "body.document", "message": "nested too deeply"}],
                           "the variant document cannot be read") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark is not None else ""
            raise _invalid([{"field": "body.document", "message": f"not valid YAML or JSON{where}: "
                             f"{str(getattr(exc, 'problem', None) or exc)[:200]}"}],
                           "the variant document cannot be read") from None
        text = document
    else:
        data = document
        text = json.dumps(document, indent=2, ensure_ascii=False, default=str)
    if not isinstance(data, dict):
        raise _invalid([{"field": "body.document", "message": "expected a mapping at the top level"}],
                       "the variant document is not a mapping")
    # YAML reads unquoted dates and times as objects; the JSON column (and parse_variant) take ISO text.
    data = json.loads(json.dumps(data, default=_iso))
    return text, {k: v for k, v in data.items() if k != "base"}


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, date | datetime) else str(value)


def check_variant(session: Session, operation_id: int, data: dict[str, Any]) -> Any:
    """Validate the document and apply it to the operation as it is now; 422 with field paths if either fails."""
    from api.scenario_store import build_scenario
    from planner.io.loading import ScenarioInputError
    from planner.whatif.variant_files import parse_variant
    from planner.whatif.variants import apply_variant

    try:
        variant = parse_variant({**data, "base": BASE}, "variant")
    except ScenarioInputError as exc:
        raise _invalid([{"field": "body.document." + i.field, "message": i.message} for i in exc.issues],
                       f"{len(exc.issues)} field(s) of the variant are not valid") from None
    try:
        apply_variant(build_scenario(session, operation_id), variant)
    except ScenarioInputError as exc:
        raise _invalid([{"field": "body.document." + i.field, "message": i.message} for i in exc.issues],
                       f"the variant does not apply to this operation ({len(exc.issues)} error(s))",
                       kind="variant-does-not-apply") from None
    return variant

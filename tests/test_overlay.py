"""scripts/overlay.py: Overlay 1.0 applied as the specification says, and what an update needs
to know (marks that no longer apply, fields nobody classified)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import overlay  # noqa: E402

BASE: dict[str, Any] = {
    "openapi": "3.0.3",
    "servers": [{"url": "https://api.example.test"}],
    "tags": [{"name": "a"}],
    "components": {
        "schemas": {
            "Patient": {
                "properties": {
                    "id": {"type": "string"},
                    "email": {"type": "string", "description": "Theirs."},
                    "nickname": {"type": "string"},
                }
            }
        }
    },
}


def _overlay(*actions: dict[str, Any]) -> dict[str, Any]:
    return {"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": list(actions)}


EMAIL = "$.components.schemas.Patient.properties.email"


def test_an_update_merges_into_its_target_and_leaves_the_base_as_it_was() -> None:
    merged = overlay.apply(
        BASE,
        _overlay(
            {"target": EMAIL, "update": {"x-pii": True}},
            {"target": "$.servers[0]", "update": {"x-assumption": True}},  # inside an array
            {"target": "$.tags", "update": {"name": "b"}},  # an array target: appended
        ),
    )
    assert merged["components"]["schemas"]["Patient"]["properties"]["email"] == {
        "type": "string",
        "description": "Theirs.",
        "x-pii": True,
    }
    assert merged["servers"] == [{"url": "https://api.example.test", "x-assumption": True}]
    assert merged["tags"] == [{"name": "a"}, {"name": "b"}]
    assert "x-pii" not in BASE["components"]["schemas"]["Patient"]["properties"]["email"]


def test_remove_true_removes_and_remove_false_is_refused() -> None:
    merged = overlay.apply(BASE, _overlay({"target": EMAIL, "remove": True}))
    assert list(merged["components"]["schemas"]["Patient"]["properties"]) == ["id", "nickname"]
    with pytest.raises(overlay.OverlayError, match=r"actions\[0\]: remove must be true or false"):
        overlay.apply(BASE, _overlay({"target": EMAIL, "remove": "no"}))
    kept = overlay.apply(BASE, _overlay({"target": EMAIL, "remove": False, "update": {}}))
    assert "email" in kept["components"]["schemas"]["Patient"]["properties"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"overlay": "2.0.0", "info": {"title": "t", "version": "1"}, "actions": [{}]}, "1.0.x"),
        ({"overlay": "1.0.0", "info": {}, "actions": [{"target": "$"}]}, "title and a version"),
        (_overlay({"target": EMAIL}), "neither updates nor removes"),
    ],
)
def test_a_malformed_overlay_is_refused_naming_what(document: dict[str, Any], message: str) -> None:
    with pytest.raises(overlay.OverlayError, match=message):
        overlay.apply(BASE, document)


def test_marks_that_no_longer_apply_and_fields_nobody_classified_are_named() -> None:
    marks = _overlay(
        {"target": EMAIL, "update": {"x-pii": True}},
        {"target": "$.components.schemas.Patient.properties.phone", "update": {"x-pii": True}},
        {"target": "$.components.schemas.Patient.properties.id", "update": {"x-shown": True}},
    )
    assert overlay.stale(BASE, marks) == [
        "$.components.schemas.Patient.properties.phone (x-pii: True)"
    ]
    assert overlay.unclassified(overlay.apply(BASE, marks)) == ["Patient.nickname"]


def test_an_assumption_whose_sentence_the_new_text_lost_is_named() -> None:
    marks = _overlay({"target": EMAIL, "update": {"x-assumption": True}})
    assert overlay.unstated_assumptions(BASE, marks) == [EMAIL]
    ours = overlay.apply(
        BASE, _overlay({"target": EMAIL, "update": {"description": "Assumption: x."}})
    )
    assert overlay.unstated_assumptions(ours, marks) == []


def test_the_repositorys_overlay_applies_whole_to_its_base() -> None:
    # A mark left behind by `update-spec --allow-stale-marks` stays red here until it is moved
    # or dropped: drift is reported, never silent.
    base = overlay.load(ROOT / overlay.BASE)
    marks = overlay.load(ROOT / overlay.OVERLAY)
    assert overlay.stale(base, marks) == []
    merged = overlay.apply(base, marks)
    assert "x-pii" not in str(base) and "x-pii" in str(merged)

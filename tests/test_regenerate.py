"""A changed spec reaches the public models through `make generate` alone.

The spec is copied to a temporary folder, changed there, and the client regenerated there with
the project's own recipe (scripts/generate.sh): nothing in the repository is touched.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, Unpack, cast

import pytest
import yaml

from legithealth_async._session import Session
from legithealth_async.errors import ValidationError
from legithealth_async.resources._base import Resource, checked

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The models generated from a spec where Patient gains an optional ``createdAt`` and
    PatientCreate's ``language`` becomes required."""
    tmp = tmp_path_factory.mktemp("regen")
    spec: dict[str, Any] = yaml.safe_load((ROOT / "openapi" / "legit-health.yaml").read_text())
    schemas = spec["components"]["schemas"]
    schemas["Patient"]["properties"]["createdAt"] = {"type": "string", "format": "date-time"}
    schemas["PatientCreate"]["required"].append("language")
    spec_path = tmp / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    env = {**os.environ, "SPEC_PATH": str(spec_path), "BIN": str(Path(sys.executable).parent)}
    subprocess.run(
        [str(ROOT / "scripts" / "generate.sh"), str(tmp)],
        check=True,
        env=env,
        capture_output=True,
        timeout=120,
    )
    # Its own name, so it never shadows the installed package's modules.
    (tmp / "_generated").rename(tmp / "regen_client")
    sys.path.insert(0, str(tmp))
    try:
        yield importlib.import_module("regen_client.models")
    finally:
        sys.path.remove(str(tmp))
        for name in [n for n in sys.modules if n.split(".")[0] == "regen_client"]:
            del sys.modules[name]


def test_a_new_optional_answer_field_is_a_typed_attribute(regenerated: ModuleType) -> None:
    data = {"id": "lh-1", "externalId": "p1", "conditions": [], "createdAt": "2026-03-02T11:00:00Z"}
    patient = regenerated.Patient.from_dict(data)
    assert patient.created_at == dt.datetime(2026, 3, 2, 11, 0, tzinfo=dt.UTC)
    assert patient.model_extra == {}
    assert regenerated.Patient.from_dict({**data, "createdAt": None}).created_at is None


@pytest.mark.anyio
async def test_a_field_made_required_is_a_validation_error_naming_it(
    regenerated: ModuleType,
) -> None:
    # What patients.create is: `**kwargs: Unpack[PatientCreateKwargs]` behind `checked`.
    async def create(self: Resource, **kwargs: Any) -> dict[str, Any]:
        return kwargs

    module = importlib.import_module(f"{regenerated.__name__}.patient_create")
    create.__annotations__["kwargs"] = Unpack[module.PatientCreateKwargs]

    class Patients(Resource):
        __slots__ = ()
        create_patient = checked(create)

    patients = Patients(cast(Session, None))
    fields = {"external_id": "p1", "email": "ada@example.org"}
    with pytest.raises(ValidationError) as info:
        await patients.create_patient(**fields)
    assert str(info.value) == ("language: a required argument of patients.create(), not given")
    assert await patients.create_patient(**fields, language="es") == {**fields, "language": "es"}


def test_the_checked_in_models_do_not_have_the_new_field() -> None:
    from legithealth_async import Patient

    assert "created_at" not in {f.name for f in dataclasses.fields(Patient)}

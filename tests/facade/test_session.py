"""Resources on a frozen session; operations typed against the generated signatures."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import pytest
from mypy import api

from legithealth_async import LegitHealth, LegitHealthView

from .conftest import BASE, TOKEN

ROOT = Path(__file__).resolve().parents[2]


async def test_resources_are_made_once_per_view_and_views_share_the_sender() -> None:
    async with LegitHealth(TOKEN, base_url=BASE, max_in_flight=7) as lh:
        assert lh.patients is lh.patients
        view = lh.with_options(max_retries=0, timeout=3, attempt_deadline=9)
        assert isinstance(view, LegitHealthView) and not isinstance(view, LegitHealth)
        assert view.patients is not lh.patients
        assert view.max_in_flight == lh.max_in_flight == 7
        assert lh.in_flight == 0
        await lh.aclose()
        assert view.closed  # one lifetime: the view's calls end with the client


async def test_max_in_flight_and_the_session_cannot_be_changed() -> None:
    async with LegitHealth(TOKEN, base_url=BASE) as lh:
        with pytest.raises(AttributeError):
            lh.max_in_flight = 3  # type: ignore[misc]
        with pytest.raises(dataclasses.FrozenInstanceError):
            lh._session.options = lh._session.options  # type: ignore[misc]


def test_a_changed_generated_signature_is_a_type_error_in_the_facade(tmp_path: Path) -> None:
    """``Operation.bind`` takes the generated ``_get_kwargs`` parameters, checked by mypy.

    (It shares the project's mypy cache, so after ``make typecheck`` only the snippet is checked.)
    """
    code = textwrap.dedent(
        """
        from legithealth_async import _wire as wire
        from legithealth_async._generated import models as gen

        ok = wire.PATCH_PATIENT.bind("p1", body=gen.PatientPatch())
        wrong_name = wire.CREATE_PATIENT.bind(bdy=gen.PatientCreate(external_id="p1"))
        wrong_type = wire.GET_PATIENTS.bind(external_ids="p1")
        missing = wire.PATCH_PATIENT.bind(body=gen.PatientPatch())
        """
    )
    source = tmp_path / "use.py"
    source.write_text(code)
    out, _, status = api.run(
        [
            str(source),
            "--strict",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "cache"),
        ]
    )
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert status == 1
    assert [int(line.split(":")[1]) for line in errors] == [6, 7, 8], out

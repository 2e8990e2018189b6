"""Reading whole FHIR exports, and syncing them into the sandbox through the CLI (issue 23)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import anyio
import pytest

from legithealth_async.cli import SyncOptions, main, run_sync
from legithealth_async.fhir import FhirExport, FhirOptions
from legithealth_async.fhir.synthetic import (
    bundle,
    condition_resources,
    expected,
    mrn,
    patient,
    pid,
    write_export,
)
from legithealth_async.sandbox import Sandbox
from legithealth_async.sync import BadRecord, PatientRecord

N = 300
SNOMED_URI = "http://snomed.info/sct"
#: The generator's designed failures, and what the failure's error or message says.
SAYS = {
    "no MR identifier": "identifier: none of type MR",
    "two different MR identifiers": "identifier: two different values of type MR",
    "InactivePatient": "InactivePatient",
    "DeceasedPatient": "DeceasedPatient",
}
OPTIONS = FhirOptions(phone_country_code="1")


def _state(sandbox: Sandbox) -> dict[str, frozenset[tuple[str, str]]]:
    return {
        ext: frozenset(
            (c["pathologyCode"], c["bodySiteCode"]) for c in sandbox.patient(ext)["conditions"]
        )
        for ext in sandbox.patients()
    }


def _sync(path: Path, sandbox: Sandbox, report: Path | None = None) -> int:
    options = SyncOptions(file=path, fmt="fhir", fhir=OPTIONS, progress="none", report=report)
    return anyio.run(lambda: run_sync(options, sandbox=sandbox))


def test_bulk_export_and_per_patient_bundles_sync_to_exactly_the_selected_conditions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bulk = write_export(tmp_path / "bulk", N)
    truth = [expected(i) for i in range(N)]
    want = {e.external_id: e.conditions for e in truth if e.failure is None}
    sandbox = Sandbox(seed=0)
    report = tmp_path / "report.jsonl"
    assert _sync(bulk, sandbox, report) == 1  # some patients are designed to fail
    out = capsys.readouterr().out
    assert _state(sandbox) == want  # every synced patient, with exactly the selected conditions
    rows = [json.loads(line) for line in report.read_text().splitlines()]
    failed = {e.external_id for e in truth if e.failure}
    assert len(rows) == len(failed)  # every other patient failed, with a reason
    for row in rows:
        ex = truth[row["line"] - 1]
        assert ex.failure is not None and SAYS[ex.failure] in row["error"] + row["message"]
        assert row["message"].startswith(f"Patient/{pid(row['line'] - 1)}.")
        counts = row["conditions"]
        assert counts["sent"] == 0  # a failed patient's conditions are left out with it
        assert counts["notSelected"] + counts["leftOut"] == ex.total
    # Every condition counted: sent + not selected + left out + orphans = all conditions.
    conditions = sum(e.total for e in truth) + 3
    sent = sum(len(e.conditions) for e in truth if e.failure is None)
    assert f"{conditions} conditions: {sent} sent" in out
    assert "3 without a patient in the export" in out
    # A second run finds everything unchanged.
    assert _sync(bulk, sandbox) == 1
    out = capsys.readouterr().out
    assert f"unchanged │ {len(want):>7}" in out.replace(",", "")
    assert "created   │       0" in out
    # Per-patient transaction Bundles of the same patients: the same result, from scratch.
    other = Sandbox(seed=0)
    assert _sync(write_export(tmp_path / "bundles", N, bundles=True), other) == 1
    assert _state(other) == want


def test_conditions_before_their_patients_in_one_file_and_search_set_bundles(
    tmp_path: Path,
) -> None:
    mixed = tmp_path / "everything.ndjson"
    lines = [json.dumps(c) for i in range(20) for c in condition_resources(i, f"Patient/{pid(i)}")]
    lines += ["", 'not json "Patient"', json.dumps({"resourceType": "Observation", "id": "o"})]
    lines += [json.dumps(patient(i)) for i in range(20)]
    mixed.write_text("\n".join(lines) + "\n")
    page = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {"fullUrl": f"https://ehr.example/fhir/Patient/{pid(i)}", "resource": patient(i)}
            for i in range(20, 30)
        ]
        + [
            {"resource": c}
            for i in range(20, 30)
            for c in condition_resources(i, f"https://ehr.example/fhir/Patient/{pid(i)}")
        ],
    }
    (tmp_path / "page.json").write_text(json.dumps(page))
    export = FhirExport([mixed, tmp_path / "page.json"], OPTIONS)
    items = list(export.iter_records())
    assert len(items) == 31  # 30 patients and the malformed line that names "Patient"
    assert isinstance(items[0], BadRecord) and items[0].error == "MalformedRow"  # in file order
    patients = items[1:]
    for i, item in enumerate(patients):
        ex = expected(i)
        if ex.failure is not None:
            assert isinstance(item, BadRecord)
            continue
        assert isinstance(item, PatientRecord) and item.external_id == mrn(i)
        assert {(c.pathology_code, c.body_site_code) for c in item.conditions} == ex.conditions
        assert not any(c.is_tracked for c in item.conditions)
    assert export.stats.orphaned == 0 and export.stats.patients == 31


def test_strict_mode_fails_a_patient_whose_selected_condition_cannot_be_placed(
    tmp_path: Path,
) -> None:
    (tmp_path / "b.json").write_text(json.dumps(bundle(2)))  # acne without a body site
    lenient = list(FhirExport(tmp_path, OPTIONS).iter_records())
    assert isinstance(lenient[0], PatientRecord)
    strict = list(
        FhirExport(tmp_path, FhirOptions(phone_country_code="1", strict=True)).iter_records()
    )
    assert isinstance(strict[0], BadRecord)
    assert strict[0].message.endswith(".bodySite: none given (strict mode)")
    assert strict[0].message.startswith("Condition/c2-s")


def test_full_validation_uses_fhir_resources_and_names_the_path(tmp_path: Path) -> None:
    resource = patient(1) | {"active": "yes please"}
    (tmp_path / "p.json").write_text(json.dumps(resource))
    [fast] = FhirExport(tmp_path, OPTIONS).iter_records()
    assert isinstance(fast, PatientRecord)  # the default checks only what the mapping reads
    full = FhirOptions(phone_country_code="1", validate="full")
    [item] = FhirExport(tmp_path, full).iter_records()
    assert isinstance(item, BadRecord)
    assert item.message == f"Patient/{pid(1)}.active: not valid FHIR R4B"


def test_no_personal_data_in_any_message(tmp_path: Path) -> None:
    write_export(tmp_path, 120)
    export = FhirExport(tmp_path, OPTIONS)
    secrets = []
    for i in range(120):
        p = patient(i)
        secrets += [p["birthDate"], *(t["value"] for t in p["telecom"])]
        secrets += [n for name in p["name"] for n in [*name.get("given", []), name.get("family")]]
        secrets += [ident["value"] for ident in p["identifier"] if ident["value"] != pid(i)]
    texts = [x.message for x in export.iter_records() if isinstance(x, BadRecord)]
    texts += export.stats.lines()
    assert texts
    blob = "\n".join(texts)
    assert not [s for s in secrets if s and s in blob]


def test_the_command_line_takes_a_folder_as_fhir_and_refuses_bad_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_export(tmp_path / "x", 5)
    args = ["sync", str(tmp_path / "x"), "--sandbox", "--progress", "none"]
    assert main([*args, "--fhir-phone-country", "1"]) == 0  # patients 0-4: none designed to fail
    out = capsys.readouterr().out
    assert "FHIR: 2 files, 5 patients" in out
    assert main([*args, "--fhir-select", "EM-EA"]) == 2
    assert "selection" in capsys.readouterr().err


def test_the_quick_look_at_condition_lines_counts_as_a_full_parse_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_export(tmp_path, 60)
    odd = [
        # selected only through codes the quick look must notice: ICD-11, ICD-10 with a dot
        {"code": {"coding": [{"system": "http://id.who.int/icd/release/11/mms", "code": "EA90"}]}},
        {"code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "L40.0"}]}},
        # a code written with an escape; a subject the quick look cannot read
        {"code": {"coding": [{"system": SNOMED_URI, "code": "901400\\u0032"}]}},
        {"subject": {"identifier": {"value": "x"}, "reference": f"Patient/{pid(1)}"}},
    ]
    with (tmp_path / "Condition.ndjson").open("a") as f:
        for k, extra in enumerate(odd):
            resource = {
                "resourceType": "Condition",
                "id": f"odd{k}",
                "clinicalStatus": {"coding": [{"code": "active"}]},
                "bodySite": [{"coding": [{"system": SNOMED_URI, "code": "41695006"}]}],
                "subject": {"reference": f"Patient/{pid(1)}"},
                "code": {"coding": [{"system": SNOMED_URI, "code": "59621000"}]},
            } | extra
            f.write(json.dumps(resource).replace("\\\\u0032", "\\u0032") + "\n")

    def read() -> tuple[list[object], list[str]]:
        export = FhirExport(tmp_path, OPTIONS)
        items = [
            (i.external_id, i.conditions) if isinstance(i, PatientRecord) else i
            for i in export.iter_records()
        ]
        return items, export.stats.lines()

    quick = read()
    record = quick[0][1]
    assert isinstance(record, tuple) and {c.pathology_code for c in record[1]} == {"EA80", "EA90"}
    monkeypatch.setattr(FhirExport, "_quick_subject", lambda self, raw: None)
    assert read() == quick


def test_a_file_that_is_not_fhir_stops_the_run_naming_its_position_not_its_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_export(tmp_path, 3)
    (tmp_path / "Ada_Lovelace_1815.json").write_text('{"hello": "world"}')
    (tmp_path / "manifest.json").write_text('{"transactionTime": "2026", "output": []}')
    assert main(["sync", str(tmp_path), "--sandbox", "--progress", "none"]) == 2
    err = capsys.readouterr().err
    assert "file 1 of 4 (sorted by name): not a FHIR resource or a Bulk Data manifest" in err
    assert "Lovelace" not in err
    (tmp_path / "Ada_Lovelace_1815.json").unlink()  # the manifest alone is skipped
    args = ["sync", str(tmp_path), "--sandbox", "--progress", "none", "--fhir-phone-country", "1"]
    assert main(args) == 0


def test_the_index_file_is_deleted_when_a_read_stops_early(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    write_export(tmp_path / "x", 30)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    records = FhirExport(tmp_path / "x", OPTIONS).iter_records()
    next(records)
    assert list(tmp_path.glob("legithealth-fhir-*.sqlite"))
    records.close()
    assert not list(tmp_path.glob("legithealth-fhir-*"))

    async def cancelled() -> None:
        with anyio.CancelScope() as scope:
            source = FhirExport(tmp_path / "x", OPTIONS).records(chunk=1)
            async with contextlib.aclosing(source):
                async for _ in source:
                    assert list(tmp_path.glob("legithealth-fhir-*.sqlite"))
                    scope.cancel()  # the closing runs cancelled: it still deletes the file
                    await anyio.sleep(0)

    anyio.run(cancelled)
    assert not list(tmp_path.glob("legithealth-fhir-*"))


def test_an_api_refusal_names_the_patient_resource_and_hints_at_the_phone_country(
    tmp_path: Path,
) -> None:
    write_export(tmp_path / "x", 3)  # patients 1 and 2 have only national phone numbers
    report = tmp_path / "r.jsonl"
    options = SyncOptions(file=tmp_path / "x", fmt="fhir", progress="none", report=report)
    assert anyio.run(lambda: run_sync(options, sandbox=Sandbox(seed=0))) == 1
    rows = [json.loads(line) for line in report.read_text().splitlines()]
    assert [row["line"] for row in rows] == [2, 3]
    for row in rows:
        assert row["message"].startswith(f"Patient/{pid(row['line'] - 1)}: email/phone: ")
        assert row["message"].endswith("calling code: --fhir-phone-country)")


def test_full_validation_without_the_extra_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "fhir.resources.R4B.patient", None)  # not installed
    write_export(tmp_path, 1)
    with pytest.raises(ValueError, match=r"^full FHIR validation needs: pip install "):
        FhirExport(tmp_path, FhirOptions(validate="full"))
    assert FhirExport(tmp_path, FhirOptions()).files  # the default needs no extra


def test_reading_an_export_twice_counts_it_once(tmp_path: Path) -> None:
    write_export(tmp_path, 10)
    export = FhirExport(tmp_path, OPTIONS)
    first = (list(export.iter_records()), export.stats.lines())
    assert (list(export.iter_records()), export.stats.lines()) == first

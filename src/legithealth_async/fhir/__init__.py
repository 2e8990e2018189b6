"""FHIR R4 input for the bulk sync: patients and their skin conditions, from what EHRs export.

::

    from legithealth_async.fhir import FhirExport, FhirOptions
    from legithealth_async.sync import sync_patients

    export = FhirExport("bulk-export/", FhirOptions(identifier_type="MR"))
    async with sync_patients(lh, export.records(), journal="j.db") as outcomes:
        async for outcome in outcomes:
            outcome = export.annotate(outcome)  # + outcome.conditions: sent / left out
    print("\\n".join(export.stats.lines()))

A Bulk Data ``$export`` folder (``Patient.ndjson``, ``Condition.ndjson``, ...), NDJSON files, or
Bundle files (search-set or one transaction Bundle per patient). Conditions are joined to their
Patient through an on-disk index (bounded memory for any export). The mapping, its tables and
every assumption: the "From FHIR" docs page. No third-party library is needed; the ``fhir`` extra
(``fhir.resources``) only backs ``FhirOptions(validate="full")``.
"""

from .mapping import FhirOptions, Selection
from .reader import FhirExport, FhirStats, aiter_fhir_records, fhir_files
from .tables import CodeTables

__all__ = [
    "CodeTables",
    "FhirExport",
    "FhirOptions",
    "FhirStats",
    "Selection",
    "aiter_fhir_records",
    "fhir_files",
]

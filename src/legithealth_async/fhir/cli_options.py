"""The ``legithealth sync --format fhir`` options (kept here: cli.py only calls these)."""

from __future__ import annotations

import argparse

from .. import _constants as C
from ..errors import ConfigurationError
from .mapping import FhirOptions

__all__ = ["add_arguments", "options_from"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``--fhir-*`` options to ``legithealth sync``."""
    group = parser.add_argument_group("FHIR input (--format fhir; the docs page 'From FHIR')")
    ident = group.add_mutually_exclusive_group()
    ident.add_argument(
        "--fhir-identifier-system",
        metavar="URI",
        help="externalId: the Patient.identifier of this system",
    )
    ident.add_argument(
        "--fhir-identifier-type",
        metavar="CODE",
        help=f"externalId: the Patient.identifier of this type (default {C.FHIR_IDENTIFIER_TYPE})",
    )
    group.add_argument(
        "--fhir-select",
        metavar="CODES",
        default=C.FHIR_SELECTION,
        help=f"ICD-11 codes sent: prefixes and ranges ({C.FHIR_SELECTION})",
    )
    group.add_argument(
        "--fhir-map", metavar="FILE", help="JSON file adding condition and body site mappings"
    )
    group.add_argument(
        "--fhir-phone-country",
        metavar="CODE",
        help="country calling code of national phone numbers (e.g. 1): else only +numbers",
    )
    group.add_argument(
        "--fhir-strict",
        action="store_true",
        help="fail a patient with a selected condition that cannot be placed (no body site)",
    )
    group.add_argument(
        "--fhir-tracked", action="store_true", help="send the conditions tracked (isTracked)"
    )


def options_from(args: argparse.Namespace) -> FhirOptions:
    """The :class:`FhirOptions` the command line asked for, checked before anything is opened.

    Raises :class:`~legithealth_async.errors.ConfigurationError` for a bad option or mapping file.
    """
    options = FhirOptions(
        identifier_system=args.fhir_identifier_system,
        identifier_type=args.fhir_identifier_type,
        selection=args.fhir_select,
        mapping_file=args.fhir_map,
        phone_country_code=args.fhir_phone_country,
        strict=args.fhir_strict,
        tracked=args.fhir_tracked,
    )
    try:
        options.checked()
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    return options

"""No log line carries personal data: not in a traceback's SQL parameters, not in what pydantic refused,
not in the glyphs of a name in a PDF."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pydantic import ValidationError
from sqlalchemy import text

from gateways.observability import configure_logging
from gateways.subject_access import LABELS, to_pdf
from infra.bootstrap import bootstrap
from services import commands as c
from tests.conftest import Clock, intake, make_settings

NAME = "Ψαλτοπούλου"
AMKA = "31129912345"  # not a valid ΑΜΚΑ, and personal all the same
log = logging.getLogger("kentra.test")


def shows(logged: str, value: str) -> bool:
    """Whether the value is in the log lines, as it is or as JSON escapes it."""
    return value in logged or json.dumps(value)[1:-1] in logged


@pytest.fixture
def logs(capsys: pytest.CaptureFixture[str]) -> Iterator[pytest.CaptureFixture[str]]:
    configure_logging("DEBUG")
    capsys.readouterr()
    yield capsys
    configure_logging("INFO")


def test_a_failed_statement_logs_neither_its_parameters_nor_the_error_message(
    logs: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    kentra = bootstrap(make_settings("sqlite", tmp_path), today=Clock())
    kentra.provision("sofades")
    try:
        engines = [kentra.accounts.engine, kentra.views("sofades").engine, kentra.regional("sofades").engine]
        assert all(engine.hide_parameters for engine in engines)
        for engine in engines:
            try:
                with engine.connect() as connection:
                    connection.execute(text("SELECT no_such_column WHERE :name = :amka"), {"name": NAME, "amka": AMKA})
            except Exception:
                log.exception("the statement failed")
    finally:
        kentra.close()
    err = logs.readouterr().err
    assert "the statement failed" in err
    assert "OperationalError" in err
    assert not shows(err, NAME)
    assert not shows(err, AMKA)


def test_a_refused_command_logs_no_input_value(logs: pytest.CaptureFixture[str]) -> None:
    document = intake().model_dump(mode="json")
    document["personal"] |= {"last_name": NAME, "amka": AMKA}
    document["structure"] = NAME  # refused too, with its input in pydantic's message
    refused = False
    try:
        c.COMMAND_ADAPTER.validate_python(document)
    except ValidationError:
        log.exception("refused")
        refused = True
    assert refused
    err = logs.readouterr().err
    assert "ValidationError" in err
    assert not shows(err, NAME)
    assert not shows(err, AMKA)


def test_a_postgresql_error_logs_none_of_its_values(logs: pytest.CaptureFixture[str]) -> None:
    url = os.environ.get("KENTRA_TEST_DATABASE_URL")
    if not url:
        pytest.skip("KENTRA_TEST_DATABASE_URL is not set")
    with psycopg.connect(url) as connection:
        try:
            connection.execute("SELECT %s::int", (NAME,))  # psycopg's message repeats the value
        except psycopg.Error:
            log.exception("the query failed")
    err = logs.readouterr().err
    assert "InvalidTextRepresentation" in err
    assert not shows(err, NAME)


def test_the_subject_access_pdf_logs_no_glyph_of_the_name(logs: pytest.CaptureFixture[str]) -> None:
    document: dict[str, Any] = {key: {} for key in LABELS} | {"beneficiary_id": "x", "generated_at": "2024-06-28"}
    document[next(iter(LABELS))] = {"last_name": "Ψ Ω Ξ"}
    assert to_pdf(document, "Σοφάδες").startswith(b"%PDF")
    err = logs.readouterr().err
    assert "Psi" not in err
    assert "Omega" not in err
    assert "Glyph" not in err

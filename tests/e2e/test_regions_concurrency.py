"""Many analysts at once on the embedded store: every regional read answers, none with a 500."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

from domain.identifiers import make_amka
from tests.e2e.conftest import Api, intake_body
from tests.e2e.test_regions_api import MAY


def test_concurrent_regional_reads_on_sqlite_never_answer_500(api: Api) -> None:
    headers = api.headers("analyst.thessaly")
    for n in range(12):
        body = intake_body(personal__amka=make_amka(date(1971, 2, 3), n))
        assert api.post("coord.sof", "/beneficiaries", body).status_code == 201
        kar = api.client.post("/api/v1/tenants/karditsa/beneficiaries", json=body, headers=api.headers("coord.kar"))
        assert kar.status_code == 201, kar.text

    def read(_: int) -> tuple[int, str]:
        response = api.client.get("/api/v1/regions/thessaly/indicators", params=MAY, headers=headers)
        return response.status_code, response.text[:300]

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(read, range(64)))
    assert [a for a in answers if a[0] != 200] == []
    final = api.client.get("/api/v1/regions/thessaly/indicators", params=MAY, headers=headers).json()
    assert final["consolidated"]["new_beneficiaries"]["total"] == 24  # every event applied once

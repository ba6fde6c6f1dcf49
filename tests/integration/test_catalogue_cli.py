"""`kentra catalogue list|add|retire` (issue 23), as scripts and people use it (embedded store)."""

from __future__ import annotations

import json

from tests.integration.test_cli import env, run

__all__ = ["env"]  # the fixture, shared with test_cli.py

ADD = (
    "catalogue",
    "add",
    "--tenant",
    "sofades",
    "--kind",
    "request_category",
    "--code",
    "local_firewood",
    "--label-el",
    "Καυσόξυλα χειμώνα",
    "--label-en",
    "Winter firewood",
    "--national",
    "food_aid_teba",
    "--by",
    "e.papadaki",
)


def test_a_local_category_is_added_listed_as_json_and_as_a_table_and_retired(env: dict[str, str]) -> None:
    assert run(env, "tenants", "sync")[0] == 0
    code, out, err = run(env, *ADD, "--command-id", "cli-catalogue-0001")
    assert code == 0, err
    assert json.loads(out)["replayed"] is False
    assert json.loads(run(env, *ADD, "--command-id", "cli-catalogue-0001")[1])["replayed"] is True
    code, out, _ = run(env, "catalogue", "list", "--tenant", "sofades", "--json")
    assert code == 0
    [entry] = json.loads(out)["entries"]
    assert (entry["code"], entry["national"], entry["active"]) == ("local_firewood", "food_aid_teba", True)
    code, out, _ = run(env, "catalogue", "list", "--tenant", "sofades")
    assert "Καυσόξυλα χειμώνα" in out
    assert "ενεργό" in out
    retire = ("catalogue", "retire", "--tenant", "sofades", "--kind", "request_category", "--code", "local_firewood")
    assert run(env, *retire)[0] == 0
    [entry] = json.loads(run(env, "catalogue", "list", "--tenant", "sofades", "--json")[1])["entries"]
    assert entry["active"] is False
    code, _, err = run(env, *retire)
    assert code == 2
    assert "retired already" in err


def test_bad_options_are_refused_naming_the_option_and_nothing_is_recorded(env: dict[str, str]) -> None:
    assert run(env, "tenants", "sync")[0] == 0
    bad = list(ADD)
    bad[bad.index("local_firewood")] = "firewood"
    code, _, err = run(env, *bad)
    assert (code, "--code" in err) == (2, True)
    wrong_kind = list(ADD)
    wrong_kind[wrong_kind.index("food_aid_teba")] = "opeka"
    code, _, err = run(env, *wrong_kind)
    assert code == 2
    assert "no national request_category code" in err
    assert json.loads(run(env, "catalogue", "list", "--tenant", "sofades", "--json")[1])["entries"] == []

"""Every command and example in README.md, DEVELOPERS.md and docs/*.md runs as written against the demo's data.

The commands of each fenced ``sh``, ``bash``, ``shell`` or ``console`` block run one by one through
bash, in the order the page gives them, in a scratch directory laid out like a checkout (the
repository's top-level entries linked, ``.venv`` the environment running the tests, no ``var``), with
``KENTRA_DATA_DIR`` on a copy of one demo data directory built once per session. A command fails when
it exits non-zero or answers nothing (a JSON object whose every value is null, as ``kentra find``
prints for an ΑΜΚΑ nobody holds). A ``json`` block that is a command (it has ``"command"``) must be a
valid command, and is recorded for Sofades, the tenant every example uses.

A block that cannot run as written (a server or a worker that runs until stopped, a broker, the
whole suite, a container runtime) is marked in the page by this line right before it::

    <!-- not-run: REASON -->

The reason is required. The ``kentra`` commands of such a block must still parse: the subcommand
exists and takes the flags and values shown. Other programs there must be files of the repository
(``scripts/test``, ``bench/run``) or tools outside it named by the reason.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
import typer.main
from pydantic import ValidationError

from gateways.cli import app
from services.commands import COMMAND_ADAPTER
from tests.integration.demo import checkout_like, failure, run, scratch_env

REPO = Path(__file__).parents[2]
PAGES = [REPO / "README.md", REPO / "DEVELOPERS.md", *sorted((REPO / "docs").glob("*.md"))]
SHELL = {"sh", "bash", "shell", "console"}
FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*([\w+-]*)")
MARKER = re.compile(r"^\s*<!--\s*not-run\b:?(.*?)-->\s*$")
LOOKS_LIKE_A_COMMAND = re.compile(r"^\s*(\$ |kentra |\.venv/bin/|scripts/|bench/run\b)")
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
# Never run from the suite, marked or not: they start services, run the suite itself or serve until stopped.
LONG_RUNNING = re.compile(
    r"^(scripts/(test|demo)|bench/run|docker|kubectl|(\S*/)?kentra (serve|demo(?!.*--no-serve)|"
    r"(gateway|rollup|projections) run(?!.*--once)))\b"
)
HEREDOC = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?")
EXAMPLE_TENANT = "sofades"


@dataclass(frozen=True)
class Block:
    page: str
    line: int  # of the opening fence
    lang: str
    lines: tuple[tuple[int, str], ...]
    not_run: str | None  # the marker's reason ("" when the marker gives none); None when unmarked


@dataclass(frozen=True)
class Command:
    page: str
    line: int
    text: str

    def where(self) -> str:
        return f"{self.page}:{self.line}: {self.text}"


def blocks(path: Path) -> list[Block]:
    found: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    opened: tuple[int, str, str, str | None] | None = None  # line, fence, lang, marker
    body: list[tuple[int, str]] = []
    for number, text in enumerate(lines, start=1):
        fence = FENCE.match(text)
        if opened is None:
            if fence:
                previous = next((lines[i] for i in range(number - 2, -1, -1) if lines[i].strip()), "")
                marker = MARKER.match(previous)
                opened, body = (number, fence.group(1), fence.group(2).lower(), marker and marker.group(1).strip()), []
        elif fence and fence.group(1).startswith(opened[1]) and not fence.group(2):
            found.append(Block(path.relative_to(REPO).as_posix(), opened[0], opened[2], (*body,), opened[3]))
            opened = None
        else:
            body.append((number, text))
    return found


def commands(block: Block) -> list[Command]:
    """The block's commands: comments and blank lines dropped, ``\\`` continuations and heredocs joined."""
    found: list[Command] = []
    pending: tuple[int, list[str]] | None = None
    heredoc: str | None = None
    for number, raw in block.lines:
        text = raw
        if pending is None and block.lang == "console":
            if not text.startswith("$ "):
                continue  # output shown after a prompt
            text = text[2:]
        if pending is None:
            if not text.strip() or text.lstrip().startswith("#"):
                continue
            pending = (number, [])
        pending[1].append(text)
        if heredoc is None:
            heredoc = next(iter(HEREDOC.findall(text)), None)
            if heredoc is not None:
                continue
        elif text.strip() != heredoc:
            continue
        else:
            heredoc = None
        if text.endswith("\\"):
            continue
        found.append(Command(block.page, pending[0], "\n".join(pending[1])))
        pending = None
    assert pending is None, f"{block.page}:{block.line}: the block ends inside a command"
    return found


def every_block() -> list[Block]:
    return [block for page in PAGES for block in blocks(page)]


def answers_nothing(stdout: str) -> bool:
    try:
        answer = json.loads(stdout)
    except ValueError:
        return False
    return isinstance(answer, dict) and bool(answer) and all(value is None for value in answer.values())


def parse_error(args: list[str]) -> str | None:
    """Why ``kentra ARGS`` would not parse (unknown subcommand or flag, bad value), without running it."""
    command = typer.main.get_command(app)
    with ExitStack() as stack:
        pending: list[Any] = [command]
        while pending:  # every command's callback does nothing, so parsing is all that happens
            node = pending.pop()
            pending.extend(getattr(node, "commands", {}).values())
            stack.enter_context(patch.object(node, "callback", lambda *_a, **_k: None))
        try:
            command.main(args, prog_name="kentra", standalone_mode=False)
        except Exception as error:  # the parser's usage errors
            format_message = getattr(error, "format_message", None)
            return str(format_message()) if callable(format_message) else repr(error)
    return None


RUNNABLE_PAGES = [
    page for page in PAGES if any(b.not_run is None and (b.lang in SHELL or b.lang == "json") for b in blocks(page))
]


@pytest.mark.slow
@pytest.mark.parametrize("page", RUNNABLE_PAGES, ids=[p.relative_to(REPO).as_posix() for p in RUNNABLE_PAGES])
def test_every_command_and_example_of_the_page_runs_as_written_against_the_demo(
    page: Path, demo_data: tuple[Path, Path], tmp_path: Path
) -> None:
    data, pycache = demo_data
    shutil.copytree(data, tmp_path / "data")  # each page starts from the demo as built, whatever others ran
    workdir = checkout_like(tmp_path / "checkout")
    env = scratch_env(tmp_path / "data", workdir, pycache)
    failures: list[str] = []
    for block in blocks(page):
        if block.not_run is not None:
            continue
        if block.lang in SHELL:
            for command in commands(block):
                program = " ".join(w for w in shlex.split(command.text, comments=True) if not ASSIGNMENT.match(w))
                if LONG_RUNNING.match(program):
                    failures.append(f"{command.where()}\n    runs until stopped or starts services: mark its block")
                    continue
                result = run(command.text, cwd=workdir, env=env)
                if result.returncode != 0:
                    failures.append(failure(command.where(), result, f"exit {result.returncode}"))
                elif answers_nothing(result.stdout):
                    failures.append(failure(command.where(), result, "found nothing: " + result.stdout.strip()))
        elif block.lang == "json":
            where = f"{block.page}:{block.line}: the JSON example"
            text = "\n".join(line for _, line in block.lines)
            try:
                document: Any = json.loads(text)
            except ValueError as error:
                failures.append(f"{where}\n    is not JSON: {error}")
                continue
            if not (isinstance(document, dict) and "command" in document):
                continue
            try:
                COMMAND_ADAPTER.validate_python(document)
            except ValidationError as error:
                failures.append(f"{where}\n    is not a valid command: {error}")
                continue
            result = run(f"kentra record --tenant {EXAMPLE_TENANT}", cwd=workdir, env=env, stdin=text)
            if result.returncode != 0:
                failures.append(failure(where, result, f"`kentra record` refused it (exit {result.returncode})"))
    assert not failures, f"{len(failures)} documented command(s) do not run as written:\n" + "\n".join(failures)


def test_every_block_left_unrun_says_why_and_no_command_hides_in_an_unlabelled_block() -> None:
    problems: list[str] = []
    for page in PAGES:
        lines = page.read_text(encoding="utf-8").splitlines()
        fences = {b.line for b in blocks(page)}
        for number, text in enumerate(lines, start=1):
            if text.lstrip().startswith("<!--") and "not-run" in text:
                following = next((n for n in range(number + 1, len(lines) + 1) if lines[n - 1].strip()), None)
                if following not in fences:
                    problems.append(f"{page.name}:{number}: a not-run marker that is not right before a block")
    for block in every_block():
        if block.not_run == "":
            problems.append(f"{block.page}:{block.line}: a not-run block without a reason")
        if block.lang not in SHELL | {"json"} and any(LOOKS_LIKE_A_COMMAND.match(t) for _, t in block.lines):
            problems.append(f"{block.page}:{block.line}: commands in a block labelled {block.lang!r}: label it sh")
    assert not problems, "\n".join(problems)


def test_the_commands_the_docs_do_not_run_still_parse() -> None:
    problems: list[str] = []
    checked = 0
    for block in every_block():
        if block.not_run is None or block.lang not in SHELL:
            continue
        for command in commands(block):
            words = shlex.split(command.text, comments=True)
            while words and ASSIGNMENT.match(words[0]):
                words.pop(0)
            program, args = words[0], words[1:]
            if Path(program).name == "kentra":
                error = parse_error(args)
                if error is not None:
                    problems.append(f"{command.where()}\n    does not parse: {error}")
                checked += 1
            elif "/" in program and not os.access(REPO / program, os.X_OK):
                problems.append(f"{command.where()}\n    {program} is not an executable of the repository")
    assert not problems, "\n".join(problems)
    assert checked, "no kentra command was checked: the not-run blocks were not found"


INLINE = re.compile(r"`(?:\.venv/bin/)?kentra ([^`]+)`")


def test_every_flag_the_prose_gives_a_kentra_command_is_a_flag_of_that_command() -> None:
    """Synopses in running text (`kentra backup --to DIR`) hold placeholders and are not run; their flags must exist."""
    problems: list[str] = []
    for page in PAGES:
        for number, text in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
            for synopsis in INLINE.findall(text):
                node: Any = typer.main.get_command(app)
                words = synopsis.split()
                while hasattr(node, "commands"):
                    if words and words[0] in node.commands:
                        node = node.commands[words.pop(0)]
                    elif "run" in node.commands:  # `kentra import --tenant T FILE…` is `kentra import run …`
                        node = node.commands["run"]
                    else:
                        break
                if hasattr(node, "commands"):
                    if words:
                        problems.append(f"{page.relative_to(REPO)}:{number}: `kentra {synopsis}`: no such command")
                    continue
                flags = {opt for param in node.params for opt in (*param.opts, *param.secondary_opts)}
                for flag in re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", " ".join(words)):
                    if flag not in flags:
                        problems.append(f"{page.relative_to(REPO)}:{number}: `kentra {synopsis}`: no flag {flag}")
    assert not problems, "\n".join(problems)

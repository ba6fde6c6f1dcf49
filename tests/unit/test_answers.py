"""The answers kept by log position (services/answers.py), on views that only say where they are."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from services.answers import Answers


@dataclass(eq=False)
class Views:
    position: int = 5
    generation: int = 1
    logged: int = 5
    caught_up: int = 0
    stale: bool = False  # a rebuild's summaries still to derive
    moves_when_read: list[int] = field(default_factory=list)

    def head(self) -> int:
        return self.logged

    def state(self) -> tuple[int, int, bool]:
        return self.position, self.generation, self.stale

    def catch_up(self) -> int:
        self.caught_up += 1
        self.stale = False
        moved, self.position = self.logged - self.position, self.logged
        return moved


def test_at_most_the_bound_is_kept_and_the_least_recently_used_goes_first() -> None:
    views, answers = Views(), Answers(2)
    for question in ("a", "b", "a", "c"):  # "b" is the least recently used when "c" comes
        answers.answer(views, question, lambda: {"q": question})  # noqa: B023 - called at once
    assert len(answers) == 2
    answers.answer(views, "a", lambda: {"q": "a"})
    answers.answer(views, "b", lambda: {"q": "b"})
    assert (answers.hits, answers.misses) == (2, 4)


def test_an_answer_computed_while_the_views_moved_is_given_but_not_kept() -> None:
    views, answers = Views(), Answers()

    def moving() -> dict[str, int]:
        views.position += 1  # a worker folded an event meanwhile
        views.logged += 1
        return {"n": 1}

    assert answers.answer(views, "q", moving) == {"n": 1}
    assert len(answers) == 0


def test_a_position_behind_the_log_is_caught_up_before_the_answer_is_looked_up() -> None:
    views, answers = Views(), Answers()
    answers.answer(views, "q", lambda: {"n": 1})
    views.logged += 1  # recorded, not yet folded
    assert answers.answer(views, "q", lambda: {"n": 2}) == {"n": 2}
    assert views.caught_up == 1


def test_views_at_the_head_with_summaries_still_to_derive_are_caught_up_before_the_answer() -> None:
    views, answers = Views(stale=True), Answers()
    assert answers.answer(views, "q", lambda: {"derived": not views.stale}) == {"derived": True}
    assert views.caught_up == 1


def test_a_position_at_the_log_costs_no_catch_up() -> None:
    views, answers = Views(), Answers()
    answers.answer(views, "q", lambda: {"n": 1})
    answers.answer(views, "q", lambda: {"n": 1})
    assert views.caught_up == 0


def test_two_views_objects_never_share_an_answer_even_when_alike() -> None:
    answers = Answers()
    assert answers.answer(Views(), "q", lambda: {"tenant": 1}) == {"tenant": 1}
    assert answers.answer(Views(), "q", lambda: {"tenant": 2}) == {"tenant": 2}


def test_callers_asking_at_once_share_one_computation() -> None:
    views, answers = Views(), Answers()
    started, release = threading.Event(), threading.Event()
    computed: list[int] = []

    def slow() -> dict[str, int]:
        computed.append(1)
        started.set()
        release.wait(30)
        return {"n": 1}

    first = threading.Thread(target=answers.answer, args=(views, "q", slow))
    first.start()
    started.wait(30)
    given: list[object] = []
    second = threading.Thread(target=lambda: given.append(answers.answer(views, "q", slow)))
    second.start()
    for _ in range(3000):  # until the second caller waits on the first's computation (30 s at most)
        if answers.waited:
            break
        threading.Event().wait(0.01)
    assert answers.waited == 1
    release.set()
    first.join(30)
    second.join(30)
    assert given == [{"n": 1}]
    assert computed == [1]

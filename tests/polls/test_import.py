"""Importing a vote counted elsewhere from a pabulib ``.pb`` file: the six real approval
elections in ../shared/data/pabulib/ become closed polls whose outcome is what
``methods.budget.tally`` gives on the parsed file (and the official one where the file
says which projects were funded); other vote types, garbage and oversized files are
refused with a message; only the committee may import; a failure leaves nothing."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import AsyncTestClient
from sqlmodel import select

from deliberate.accounts.auth import Auth
from deliberate.accounts.services import FormInvalid
from deliberate.config import Settings
from deliberate.db import Database, as_utc
from deliberate.errors import Forbidden
from deliberate.polls import imports, pabulib, queries, services
from deliberate.polls.methods import budget
from deliberate.polls.methods.common import Option, canonical_json
from deliberate.polls.methods.tally import tally
from deliberate.polls.models import Ballot, Poll, PollOption, Tally, VoterRoll
from deliberate.web.i18n import using_locale
from tests.polls.test_pabulib import real_file
from tests.support.accounts import Person, csrf_from, make_person, post_form, sign_in
from tests.support.hearings import (
    Board,
    areas,
    audit_events,
    committee_with,
    consultation,
    count,
    verify,
)

pytestmark = pytest.mark.usefixtures("cheap_passwords")
Client = AsyncTestClient[Any]
TZ = ZoneInfo("Asia/Shanghai")
COMMITTEE = "和谐街道居委会"

APPROVAL_FILES = (
    "Poland_Swiecie_2023.pb",  # equalshares/add1, official outcome
    "Netherlands_Assen_2024.pb",  # equalshares/add1, official outcome
    "France_Toulouse_2022_6_-_Saint-Cyprien.pb",  # greedy, no official outcome
    "Netherlands_Amsterdam_166.pb",  # greedy, no official outcome, 52 projects
    "Poland_Warszawa_2017_Piaski.pb",  # greedy, official outcome
    "Poland_Warszawa_2019_Targowek.pb",  # greedy, official outcome
)
CUMULATIVE = "Poland_Czestochowa_2024_Stradom.pb"
ORDINAL = "Poland_Krakow_2018_Bienczyce.pb"

SMALL = """META
key;value
description;Buurtbudget Test
unit;Teststad
budget;100
vote_type;approval
PROJECTS
project_id;cost;name
a;60;Park
b;50;Park
c;40;
d;30;Bankjes
VOTES
voter_id;vote
v1;a,b
v2;a,c,d
v3;
v4;b,c
"""


@dataclass
class Scene:
    board: Board
    consultation_id: int
    importer: Person  # a committee member with TOTP, for the pages
    resident: Person


@pytest.fixture
async def scene(database: Database, settings: Settings) -> Scene:
    ids = await areas(database)
    board = await committee_with(database, settings, name=COMMITTEE)
    item = await consultation(database, settings, board)
    importer = await make_person(
        database,
        settings,
        "importer@example.org",
        totp=True,
        committee_role="member",
        committee_name=COMMITTEE,
    )
    resident = await make_person(database, settings, "resident@example.org")
    await verify(database, resident.user, ids["hx-c1"])
    return Scene(board, item.id, importer, resident)  # type: ignore[arg-type]


def no_form(**changes: str) -> imports.ImportInput:
    with using_locale("en"):  # messages with values are formatted when raised
        return imports.parse_import(changes, TZ)


async def do_import(
    database: Database, scene: Scene, data: bytes | str, *, actor: Auth | None = None, **form: str
) -> Poll:
    with using_locale("en"):  # messages with values are formatted when raised
        return await imports.import_pabulib(
            database, actor or scene.board.chair, scene.consultation_id, data, no_form(**form)
        )


async def stored(database: Database, poll_id: int) -> tuple[Poll, list[PollOption], Tally, int]:
    async with database.read() as session:
        view = await queries.poll_view(session, poll_id)
        found = await queries.tally_of(session, poll_id)
        _roll, cast = await queries.counts(session, poll_id)
    assert view is not None and found is not None
    return view.poll, list(view.options), found, cast


async def nothing_written(database: Database) -> None:
    for model in (Poll, PollOption, Ballot, Tally, VoterRoll):
        assert await count(database, model) == 0, model
    assert await audit_events(database, "poll.imported") == []


def english(error: pytest.ExceptionInfo[FormInvalid], field: str = "file") -> str:
    with using_locale("en"):
        return str(error.value.errors[field])


# ---- the real elections --------------------------------------------------------------------


@pytest.mark.parametrize("name", APPROVAL_FILES)
async def test_a_real_approval_file_becomes_a_closed_budget_poll_with_the_same_outcome(
    database: Database, scene: Scene, name: str
) -> None:
    data = real_file(name).read_bytes()
    poll = await do_import(database, scene, data)
    instance = pabulib.parse(data.decode("utf-8"))
    poll, options, stored_tally, cast = await stored(database, poll.id)  # type: ignore[arg-type]

    assert poll.method == "budget" and poll.budget == instance.budget
    assert poll.frozen_at is not None and poll.closed_at is not None
    assert poll.settings_sha256 == hashlib.sha256(poll.settings.encode()).hexdigest()  # type: ignore[union-attr]
    assert poll.title == instance.meta["description"] + " " + instance.meta["instance"]
    assert [(o.label, o.cost) for o in options] == [
        (" ".join(p.name.split()), p.cost) for p in instance.projects
    ]  # with whitespace tidied
    assert cast == stored_tally.ballots == len(instance.votes) == int(instance.meta["num_votes"])
    assert stored_tally.roll == 0  # counted elsewhere: nobody is on this poll's roll

    # The stored result is what methods.budget.tally gives on the parsed file.
    number = {p.id: o.id for p, o in zip(instance.projects, options, strict=True)}
    project = {o: p for p, o in number.items()}
    expected = budget.tally(
        [Option(number[p.id], p.cost) for p in instance.projects],  # type: ignore[misc]
        [[number[i] for i in v.projects] for v in instance.votes],
        poll.tie_break_seed,  # type: ignore[arg-type]
        budget=instance.budget,
    )
    result = json.loads(stored_tally.result)
    assert result == json.loads(canonical_json(expected.as_json()))
    votes = {p.id: 0 for p in instance.projects}
    for vote in instance.votes:
        for i in vote.projects:
            votes[i] += 1
    assert {project[int(k)]: v for k, v in result["details"]["votes"].items()} == votes

    official = {p.id for p in instance.projects if p.selected}
    if instance.meta["rule"] == "equalshares/add1":
        assert {project[i] for i in result["winners"]} == official
    elif official:  # greedy, as the city counted
        assert {project[i] for i in result["details"]["greedy"]["funded"]} == official

    (event,) = await audit_events(database, "poll.imported")
    payload = json.loads(event.payload)
    assert payload["file_sha256"] == hashlib.sha256(data).hexdigest()
    assert (payload["projects"], payload["ballots"], payload["budget"]) == (
        len(instance.projects),
        len(instance.votes),
        instance.budget,
    )
    assert payload["result_sha256"] == stored_tally.result_sha256
    assert payload["board_sha256"] == stored_tally.board_sha256
    assert event.subject == f"poll:{poll.id}"


async def test_an_approval_file_as_an_approval_poll(database: Database, scene: Scene) -> None:
    data = real_file("France_Toulouse_2022_6_-_Saint-Cyprien.pb").read_bytes()
    poll = await do_import(database, scene, data, method="approval", title="图卢兹", question="?")
    poll, options, stored_tally, _cast = await stored(database, poll.id)  # type: ignore[arg-type]
    instance = pabulib.parse(data.decode("utf-8"))
    assert (poll.method, poll.budget, poll.max_choices) == ("approval", None, 3)  # max_length
    assert (poll.title, poll.question) == ("图卢兹", "?")
    assert all(o.cost == 0 for o in options)
    result = json.loads(stored_tally.result)
    by_option = {o.id: p for o, p in zip(options, instance.projects, strict=True)}
    for key, value in result["details"]["counts"].items():
        assert value == int(by_option[int(key)].extra["votes"])


async def test_labels_empty_votes_and_ballots_over_the_budget(
    database: Database, scene: Scene
) -> None:
    """Two projects named alike get their ids; a nameless one is its id; an empty vote
    counts (it shares in the budget); a vote over the budget is kept as cast."""
    poll = await do_import(database, scene, SMALL)
    poll, options, stored_tally, cast = await stored(database, poll.id)  # type: ignore[arg-type]
    assert [o.label for o in options] == ["Park (a)", "Park (b)", "c", "Bankjes"]
    assert poll.title == "Buurtbudget Test"
    assert poll.question  # a default question
    assert cast == 4
    async with database.read() as session:
        contents = sorted((await session.exec(select(Ballot.content))).all())
    ids = [o.id for o in options]
    assert contents == sorted(
        json.dumps(c, separators=(",", ":"))
        for c in ([ids[0], ids[1]], [ids[0], ids[2], ids[3]], [], [ids[1], ids[2]])
    )
    result = json.loads(stored_tally.result)
    assert result["details"]["ballots"] == 4


async def test_the_window_is_the_import_time_or_the_dates_given(
    database: Database, scene: Scene
) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    poll = await do_import(database, scene, SMALL)
    assert as_utc(poll.opens_at) == as_utc(poll.closes_at) >= before
    poll = await do_import(
        database, scene, SMALL, opens_at="2024-03-31T09:00", closes_at="2024-04-15T18:00"
    )
    assert as_utc(poll.opens_at) == datetime(2024, 3, 31, 1, 0, tzinfo=UTC)
    assert as_utc(poll.closes_at) == datetime(2024, 4, 15, 10, 0, tzinfo=UTC)
    later = (datetime.now(TZ) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    with using_locale("en"), pytest.raises(FormInvalid) as error:
        await do_import(database, scene, SMALL, opens_at="2024-03-31T09:00", closes_at=later)
    assert english(error, "closes_at") == "The vote must be over: it cannot close later than now."
    with using_locale("en"), pytest.raises(FormInvalid) as error:
        no_form(opens_at="2024-03-31T09:00")
    assert "or neither" in english(error, "closes_at")
    with using_locale("en"), pytest.raises(FormInvalid) as error:
        no_form(opens_at="2024-03-31T09:00", closes_at="2024-03-30T09:00")
    assert english(error, "closes_at") == "Voting must close after it opens."
    with using_locale("en"), pytest.raises(FormInvalid) as error:
        no_form(method="ranked")
    assert "method" in error.value.errors


# ---- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kind"), [(CUMULATIVE, "cumulative"), (ORDINAL, "ordinal")])
async def test_other_vote_types_are_refused_with_a_message(
    database: Database, scene: Scene, name: str, kind: str
) -> None:
    with using_locale("en"), pytest.raises(FormInvalid) as error:
        await do_import(database, scene, real_file(name).read_bytes())
    assert english(error) == (
        f"The votes in this file are of the type “{kind}”. Only approval votes, where "
        "each voter ticks the projects they support, can be imported."
    )
    await nothing_written(database)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"hello, world\n",
            "This is not a pabulib file we can read: line 1: data before the META section.",
        ),
        (
            SMALL.replace("d;30;Bankjes", "d;thirty;Bankjes").encode(),
            "line 12: the cost of project d",
        ),
        (SMALL.replace("v4;b,c", "v4;b,z").encode(), "votes for unknown project z"),
        (b"META\nkey;value\nbudget;10\nvote_type;approval\n", "no PROJECTS section"),
        ("META\n".encode("utf-16"), "not UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8"),
    ],
)
async def test_garbage_is_refused_with_a_message(
    database: Database, scene: Scene, data: bytes, message: str
) -> None:
    with using_locale("en"), pytest.raises(FormInvalid) as error:
        await do_import(database, scene, data)
    assert message in english(error)
    await nothing_written(database)


async def test_a_budget_poll_needs_costs(database: Database, scene: Scene) -> None:
    with using_locale("en"), pytest.raises(FormInvalid) as error:
        await do_import(database, scene, SMALL.replace("c;40;", "c;0;"))
    assert english(error) == "Project c costs nothing: every project needs a cost."
    poll = await do_import(database, scene, SMALL.replace("c;40;", "c;0;"), method="approval")
    assert poll.method == "approval"


async def test_only_the_committee_imports(
    database: Database, settings: Settings, scene: Scene
) -> None:
    other = await committee_with(database, settings, area="far", prefix="far", name="远方居委会")
    with pytest.raises(Forbidden):
        await do_import(database, scene, SMALL, actor=other.chair)
    await nothing_written(database)


async def test_a_failure_half_way_leaves_nothing(
    database: Database, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any) -> Any:
        raise RuntimeError("the count failed")

    monkeypatch.setattr(services, "tally_rows", broken)
    with pytest.raises(RuntimeError):
        await do_import(database, scene, real_file("Netherlands_Assen_2024.pb").read_bytes())
    await nothing_written(database)


# ---- the page --------------------------------------------------------------------------------


async def signed_in_committee(client: Client, scene: Scene) -> None:
    await sign_in(client, scene.importer)
    verified = await post_form(
        client, "/accounts/login/verify", {"code": scene.importer.totp_code()}
    )
    assert verified.status_code == 303
    await client.get("/?lang=en")


async def upload(client: Client, path: str, data: bytes, name: str = "vote.pb", **form: str) -> Any:
    token = csrf_from((await client.get(path)).text)
    return await client.post(
        path,
        data={"_csrf_token": token, **form},
        files={"file": (name, data, "application/octet-stream")},
    )


async def test_the_committee_imports_through_the_page(
    client: Client, database: Database, scene: Scene
) -> None:
    await signed_in_committee(client, scene)
    path = f"/consultations/{scene.consultation_id}/polls/import"
    page = await client.get(path)
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text and 'type="file"' in page.text
    assert "receipts on the bulletin board, but nobody holds them" in page.text

    data = real_file("Netherlands_Assen_2024.pb").read_bytes()
    response = await upload(client, path, data, title="Assen Top Idee 2024")
    assert response.status_code == 303, response.text
    (listed,) = (await client.get("/api/v1/polls")).json()["items"]
    poll_id = listed["id"]
    assert (listed["status"], listed["results"]) == ("closed", True)
    assert response.headers["location"] == f"/polls/{poll_id}/results"
    results = await client.get(response.headers["location"])
    assert results.status_code == 200
    assert "Assen Top Idee 2024" in results.text
    assert "this site holds no voter roll for them" in results.text
    assert "the counts are equal" not in results.text

    # Published like any poll, and anyone can count it again from the board.
    board = (await client.get(f"/api/v1/polls/{poll_id}/board")).json()
    assert len(board["ballots"]) == 84
    assert all(len(b["receipt"]) == 64 for b in board["ballots"])
    poll = board["poll"]
    again = tally(
        "budget",
        [Option(o["id"], o["cost"]) for o in poll["options"]],
        [b["choice"] for b in board["ballots"]],
        poll["tie_break_seed"],
        budget=poll["budget"],
    )
    result = await client.get(f"/api/v1/polls/{poll_id}/result")
    assert result.json() == json.loads(canonical_json(again.as_json()))
    official = {p.name for p in pabulib.parse(data.decode()).projects if p.selected}
    labels = {o["id"]: o["label"] for o in poll["options"]}
    assert {labels[i] for i in result.json()["winners"]} == official
    pb = await client.get(f"/polls/{poll_id}/ballots.pb")
    assert pb.status_code == 200
    assert len(pabulib.parse(pb.text).votes) == 84


async def test_refused_files_come_back_on_the_page(
    client: Client, database: Database, scene: Scene
) -> None:
    await signed_in_committee(client, scene)
    path = f"/consultations/{scene.consultation_id}/polls/import"
    refused = await upload(client, path, real_file(CUMULATIVE).read_bytes(), title="Stradom")
    assert refused.status_code == 400
    assert "Only approval votes" in refused.text
    assert 'value="Stradom"' in refused.text  # the form is kept
    garbage = await upload(client, path, b"\x00\x01 not a pabulib file")
    assert garbage.status_code == 400
    assert "This is not a pabulib file we can read" in garbage.text
    token = csrf_from((await client.get(path)).text)
    missing = await client.post(path, data={"_csrf_token": token, "method": "budget"})
    assert missing.status_code == 400
    assert "Choose a .pb file." in missing.text
    large = await upload(client, path, b"META\n" + b"x" * (6 * 1024 * 1024))
    assert large.status_code == 413
    assert "The file is larger than 5 MB." in large.text
    await nothing_written(database)


async def test_an_11_mb_upload_is_refused_by_the_server(
    client: Client, database: Database, scene: Scene
) -> None:
    await signed_in_committee(client, scene)
    path = f"/consultations/{scene.consultation_id}/polls/import"
    response = await upload(client, path, b"x" * (11 * 1024 * 1024))
    assert response.status_code == 413
    await nothing_written(database)


async def test_a_resident_cannot_import(client: Client, database: Database, scene: Scene) -> None:
    await sign_in(client, scene.resident)
    path = f"/consultations/{scene.consultation_id}/polls/import"
    assert (await client.get(path)).status_code == 403
    token = csrf_from((await client.get("/")).text)
    response = await client.post(
        path,
        data={"_csrf_token": token},
        files={"file": ("vote.pb", SMALL.encode(), "text/plain")},
    )
    assert response.status_code == 403
    await nothing_written(database)


async def test_the_page_asks_strangers_to_sign_in(client: Client, scene: Scene) -> None:
    response = await client.get(f"/consultations/{scene.consultation_id}/polls/import")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/accounts/login")


async def test_an_unknown_consultation(client: Client, scene: Scene) -> None:
    await signed_in_committee(client, scene)
    assert (await client.get("/consultations/999999/polls/import")).status_code == 404

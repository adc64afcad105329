"""Open data for polls through HTTP: the list (published consultations only, status,
pages), the bulletin board and the result of a closed poll as JSON — re-tallied from the
board by anyone with ``methods.tally.tally`` to exactly the published result —, the CSV
and pabulib downloads, the refusals (403 with the reason before closing, 404 for an
unpublished consultation, RFC 9457 problem details), and the OpenAPI description."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from deliberate.config import Settings
from deliberate.db import Database
from deliberate.demo import load_demo
from deliberate.polls import api, ballots, pabulib, queries, services
from deliberate.polls.methods import budget
from deliberate.polls.methods.common import Option, canonical_json
from deliberate.polls.methods.tally import tally
from deliberate.polls.services import Receipt
from tests.support.hearings import AFTER, DURING, T0, consultation
from tests.support.polls import (
    BUDGET,
    METHODS,
    PollWorld,
    form_for,
    make_poll,
    many_residents,
    poll_world,
)

pytestmark = pytest.mark.usefixtures("cheap_passwords")
Client = AsyncTestClient[Any]
EN = {"Accept-Language": "en"}
COSTS = (40_000, 30_000, 20_000, 50_000)  # tests/support/polls.py's budget poll


def random_choice(method: str, ids: list[int], rng: random.Random) -> Any:
    """A ballot the poll of tests/support/polls.py accepts."""
    if method == "single":
        return rng.choice(ids)
    if method == "approval":  # at most 2
        return sorted(rng.sample(ids, rng.randint(1, 2)))
    if method == "budget":
        chosen, spent = [], 0
        for n in rng.sample(range(len(ids)), len(ids)):
            if spent + COSTS[n] <= BUDGET and rng.random() < 0.6:
                chosen.append(ids[n])
                spent += COSTS[n]
        return sorted(chosen) or [ids[2]]
    if method == "ranked":
        return rng.sample(ids, rng.randint(1, len(ids)))
    return {str(o): rng.randint(0, 5) for o in ids}


async def closed_poll(
    database: Database, settings: Settings, method: str, *, voters: int = 15
) -> tuple[PollWorld, list[Receipt]]:
    """A poll of a published consultation, voted in by ``voters`` residents and closed."""
    world = await poll_world(database, settings, method)
    rng = random.Random(f"api-{method}")
    receipts = []
    for person in await many_residents(database, voters):
        choice = random_choice(method, world.options, rng)
        receipts.append(
            await services.cast(
                database, person, world.poll_id, form_for(method, choice), now=DURING
            )
        )
    await services.close(database, world.board.chair, world.poll_id, now=AFTER)
    return world, receipts


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    found = response.json()
    assert found["status"] == status and found["title"]
    return found


# ---- the list ------------------------------------------------------------------------------


async def test_the_list_shows_the_polls_of_published_consultations_with_their_status(
    client: Client, database: Database, settings: Settings
) -> None:
    world = await poll_world(database, settings, "single")  # frozen, opens in an hour
    chair, cid = world.board.chair, world.consultation.id
    draft = await make_poll(database, chair, cid, "approval", frozen=False)  # type: ignore[arg-type]
    open_now = await make_poll(
        database,
        chair,
        cid,  # type: ignore[arg-type]
        "ranked",
        opens_at=T0 - timedelta(hours=1),
        closes_at=T0 + timedelta(days=1),
    )
    due = await make_poll(
        database,
        chair,
        cid,  # type: ignore[arg-type]
        "score",
        now=T0 - timedelta(days=3),
        opens_at=T0 - timedelta(days=2),
        closes_at=T0 - timedelta(days=1),
    )
    counted = await make_poll(
        database,
        chair,
        cid,  # type: ignore[arg-type]
        "budget",
        now=T0 - timedelta(days=5),
        opens_at=T0 - timedelta(days=4),
        closes_at=T0 - timedelta(days=3),
    )
    await services.close(database, chair, counted.id, now=T0)  # type: ignore[arg-type]
    hidden = await consultation(database, settings, world.board, published=False)
    secret = await make_poll(database, chair, hidden.id, "single")  # type: ignore[arg-type]

    response = await client.get("/api/v1/polls")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    data = response.json()
    assert (data["page"], data["pages"], data["total"]) == (1, 1, 5)
    by_id = {item["id"]: item for item in data["items"]}
    assert secret.id not in by_id
    assert {i: (item["status"], item["results"]) for i, item in by_id.items()} == {
        world.poll_id: ("scheduled", False),
        draft.id: ("draft", False),
        open_now.id: ("open", False),
        due.id: ("closed", False),  # voting has ended; the count is not stored yet
        counted.id: ("closed", True),
    }
    entry = by_id[world.poll_id]
    assert entry == {
        "id": world.poll_id,
        "consultation": cid,
        "title": world.poll.title,
        "method": "single",
        "status": "scheduled",
        "opens": entry["opens"],
        "closes": entry["closes"],
        "results": False,
        "url": f"{settings.public_url}/polls/{world.poll_id}",
    }
    assert entry["opens"].startswith(world.poll.opens_at.strftime("%Y-%m-%dT%H:%M"))
    # Newest opening first.
    opens = [item["opens"] for item in data["items"]]
    assert opens == sorted(opens, reverse=True)


async def test_the_list_is_paginated(
    client: Client, database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await poll_world(database, settings, "single")
    for method in ("approval", "ranked", "score", "budget"):
        await make_poll(database, world.board.chair, world.consultation.id, method)  # type: ignore[arg-type]
    monkeypatch.setattr(api, "PER_PAGE", 2)
    pages = [(await client.get(f"/api/v1/polls?page={n}")).json() for n in (1, 2, 3, 4)]
    assert [len(p["items"]) for p in pages] == [2, 2, 1, 0]
    assert all((p["pages"], p["total"]) == (3, 5) for p in pages)
    seen = [item["id"] for p in pages for item in p["items"]]
    assert len(set(seen)) == 5
    bad = await client.get("/api/v1/polls?page=0", headers=EN)
    assert bad.status_code == 400


# ---- board and result ------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
async def test_anyone_can_tally_the_board_again_and_get_the_published_result(
    client: Client, database: Database, settings: Settings, method: str
) -> None:
    world, receipts = await closed_poll(database, settings, method)
    board = await client.get(f"/api/v1/polls/{world.poll_id}/board")
    assert board.status_code == 200, board.text
    assert board.headers["content-type"].startswith("application/json")
    data = board.json()
    assert set(data) == {"poll", "ballots"}
    poll = data["poll"]
    assert set(poll) == {
        "id",
        "method",
        "options",
        "budget",
        "max_choices",
        "settings_sha256",
        "tie_break_seed",
    }
    stored = world.poll
    assert (poll["id"], poll["method"]) == (world.poll_id, method)
    assert poll["settings_sha256"] == stored.settings_sha256
    assert poll["tie_break_seed"] == stored.tie_break_seed
    assert poll["budget"] == (BUDGET if method == "budget" else None)
    assert poll["max_choices"] == (2 if method == "approval" else None)
    assert [o["id"] for o in poll["options"]] == world.options
    assert poll["options"][0]["label"] == "修建非机动车棚"
    assert [o["cost"] for o in poll["options"]] == (
        list(COSTS) if method == "budget" else [0] * len(world.options)
    )

    # Every voter finds their receipt with their ballot, and can recompute it.
    entries = data["ballots"]
    assert [e["receipt"] for e in entries] == sorted(e["receipt"] for e in entries)
    on_board = {e["receipt"]: e["choice"] for e in entries}
    assert len(on_board) == len(receipts) == 15
    for receipt in receipts:
        choice = on_board[receipt.receipt]
        assert choice == json.loads(ballots.canonical(receipt.choice))
        assert ballots.receipt(choice, receipt.nonce) == receipt.receipt
    shapes = {
        "single": int,
        "approval": list,
        "budget": list,
        "ranked": list,
        "score": dict,
    }
    assert all(isinstance(choice, shapes[method]) for choice in on_board.values())
    if method == "score":
        assert all(set(c) == {str(o) for o in world.options} for c in on_board.values())

    # Anyone can count again: the same result, byte for byte.
    again = tally(
        poll["method"],
        [Option(o["id"], o["cost"]) for o in poll["options"]],
        [e["choice"] for e in entries],
        poll["tie_break_seed"],
        budget=poll["budget"] if method == "budget" else None,
    )
    result = await client.get(f"/api/v1/polls/{world.poll_id}/result")
    assert result.status_code == 200
    assert result.headers["content-type"].startswith("application/json")
    assert result.json() == json.loads(canonical_json(again.as_json()))
    assert set(result.json()) == {"method", "winners", "ranking", "details"}
    async with database.read() as session:
        stored_tally = await queries.tally_of(session, world.poll_id)
    assert stored_tally is not None
    assert result.content == stored_tally.result.encode()  # exactly what was stored
    assert hashlib.sha256(result.content).hexdigest() == stored_tally.result_sha256


async def test_no_board_or_result_before_the_poll_closes(
    client: Client, database: Database, settings: Settings
) -> None:
    world = await poll_world(database, settings, "approval")
    for what in ("board", "result"):
        response = await client.get(f"/api/v1/polls/{world.poll_id}/{what}", headers=EN)
        assert problem(response, 403)["detail"] == "Results are shown when the poll closes."
    for what in ("board.csv", "result.csv"):
        response = await client.get(f"/polls/{world.poll_id}/{what}", headers=EN)
        assert response.status_code == 403
        assert "Results are shown when the poll closes." in response.text


async def test_unpublished_consultations_and_unknown_polls_are_not_found(
    client: Client, database: Database, settings: Settings
) -> None:
    world = await poll_world(database, settings, "budget", published=False)
    await services.close(database, world.board.chair, world.poll_id, now=AFTER)
    for path in (
        f"/api/v1/polls/{world.poll_id}/board",
        f"/api/v1/polls/{world.poll_id}/result",
        "/api/v1/polls/999999/board",
        "/api/v1/polls/999999/result",
    ):
        problem(await client.get(path, headers=EN), 404)
    assert (await client.get("/api/v1/polls")).json()["total"] == 0
    for what in ("board.csv", "result.csv", "ballots.pb"):
        response = await client.get(f"/polls/{world.poll_id}/{what}")
        assert response.status_code == 404


# ---- downloads --------------------------------------------------------------------------------


def read_csv(response: Any, poll_id: int, what: str) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (
        f'attachment; filename="poll-{poll_id}-{what}.csv"'
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("method", METHODS)
async def test_the_board_and_the_result_as_csv(
    client: Client, database: Database, settings: Settings, method: str
) -> None:
    world, receipts = await closed_poll(database, settings, method, voters=6)
    board = read_csv(await client.get(f"/polls/{world.poll_id}/board.csv"), world.poll_id, "board")
    assert board[0][:3] == ["receipt", "ballot", f"{world.options[0]} 修建非机动车棚"]
    assert sorted(line[0] for line in board[1:]) == sorted(r.receipt for r in receipts)
    json_board = (await client.get(f"/api/v1/polls/{world.poll_id}/board")).json()
    assert [(line[0], json.loads(line[1])) for line in board[1:]] == [
        (e["receipt"], e["choice"]) for e in json_board["ballots"]
    ]
    result = read_csv(
        await client.get(f"/polls/{world.poll_id}/result.csv"), world.poll_id, "result"
    )
    stored = (await client.get(f"/api/v1/polls/{world.poll_id}/result")).json()
    assert result[0][:4] == ["rank", "option_id", "label", "winner"]
    assert len(result) == 1 + len(world.options)
    assert {int(line[1]) for line in result[1:] if line[3] == "1"} == set(stored["winners"])
    assert "修建非机动车棚" in {line[2] for line in result[1:]}


async def test_a_budget_poll_in_pabulib_format(
    client: Client, database: Database, settings: Settings
) -> None:
    world, receipts = await closed_poll(database, settings, "budget", voters=20)
    response = await client.get(f"/polls/{world.poll_id}/ballots.pb")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["content-disposition"] == (
        f'attachment; filename="poll-{world.poll_id}-ballots.pb"'
    )
    instance = pabulib.parse(response.content.decode("utf-8"))
    result = (await client.get(f"/api/v1/polls/{world.poll_id}/result")).json()
    meta = instance.meta
    assert (meta["vote_type"], meta["rule"]) == ("approval", "equalshares/add1")
    assert instance.budget == BUDGET
    assert meta["unit"] == "幸福社区"  # the consultation's area
    assert (meta["num_projects"], meta["num_votes"]) == (str(len(world.options)), "20")
    assert [p.id for p in instance.projects] == [str(o) for o in world.options]
    assert [p.cost for p in instance.projects] == list(COSTS)
    assert [v.voter_id for v in instance.votes] == [str(n) for n in range(1, 21)]
    board = (await client.get(f"/api/v1/polls/{world.poll_id}/board")).json()
    assert [[int(i) for i in v.projects] for v in instance.votes] == [
        e["choice"] for e in board["ballots"]
    ]  # in receipt order
    for project in instance.projects:
        assert int(project.extra["votes"]) == result["details"]["votes"][project.id]
    assert {p.id for p in instance.projects if p.selected} == {str(i) for i in result["winners"]}
    # The Method of Equal Shares on the file funds the same projects.
    again = budget.tally(
        [Option(int(p.id), p.cost) for p in instance.projects],
        [[int(i) for i in v.projects] for v in instance.votes],
        board["poll"]["tie_break_seed"],
        budget=instance.budget,
    )
    assert list(again.winners) == result["winners"]
    assert len(receipts) == 20


async def test_pabulib_is_for_budget_polls_only(
    client: Client, database: Database, settings: Settings
) -> None:
    world, _receipts = await closed_poll(database, settings, "approval", voters=2)
    assert (await client.get(f"/polls/{world.poll_id}/ballots.pb")).status_code == 404


# ---- the description -------------------------------------------------------------------------


async def test_the_openapi_description_has_the_poll_api(client: Client) -> None:
    response = await client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for path, kind in (
        ("/api/v1/polls", "PollList"),
        ("/api/v1/polls/{poll_id}/board", "Board"),
        ("/api/v1/polls/{poll_id}/result", "PollResult"),
    ):
        ok = paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": f"#/components/schemas/{kind}"}
    schemas = schema["components"]["schemas"]
    assert set(schemas["BoardPoll"]["properties"]) == {
        "id",
        "method",
        "options",
        "budget",
        "max_choices",
        "settings_sha256",
        "tie_break_seed",
    }
    choice = schemas["BoardBallot"]["properties"]["choice"]
    assert {kind.get("type") for kind in choice["oneOf"]} == {"integer", "array", "object"}
    assert set(schemas["PollSummary"]["properties"]) >= {
        "id",
        "consultation",
        "title",
        "method",
        "status",
        "opens",
        "closes",
    }
    assert not any(path.endswith((".csv", ".pb")) for path in paths)


# ---- the demo, like the pages ------------------------------------------------------------


async def test_every_download_of_the_demo_polls_works(client: Client, database: Database) -> None:
    """Open-data downloads are visited like pages: with the demo data loaded, every closed
    poll's board, result, CSV files and (budget) pabulib file answer 200 and hold its
    ballots; the open poll's answer 403."""
    await load_demo(database)
    items = (await client.get("/api/v1/polls")).json()["items"]
    closed = [item for item in items if item["results"]]
    assert {item["method"] for item in closed} == set(METHODS)
    assert any(item["status"] == "open" for item in items)
    for item in items:
        poll_id = item["id"]
        board = await client.get(f"/api/v1/polls/{poll_id}/board", headers=EN)
        if not item["results"]:
            assert board.status_code == 403
            assert (await client.get(f"/polls/{poll_id}/board.csv")).status_code == 403
            continue
        assert board.status_code == 200
        entries = board.json()["ballots"]
        assert entries, item
        result = await client.get(f"/api/v1/polls/{poll_id}/result")
        assert result.status_code == 200 and result.json()["method"] == item["method"]
        board_csv = read_csv(await client.get(f"/polls/{poll_id}/board.csv"), poll_id, "board")
        assert len(board_csv) == 1 + len(entries)
        result_csv = read_csv(await client.get(f"/polls/{poll_id}/result.csv"), poll_id, "result")
        assert len(result_csv) == 1 + len(board.json()["poll"]["options"])
        pb = await client.get(f"/polls/{poll_id}/ballots.pb")
        if item["method"] == "budget":
            assert pb.status_code == 200
            assert len(pabulib.parse(pb.text).votes) == len(entries)
        else:
            assert pb.status_code == 404

"""Deterministic, realistic chat-application messages, one session at a time.

The shape follows the design notes (seeds/): conversations (sessionId) of
alternating user/assistant messages chained by parentUuid, owned by users of
very unequal activity, with session sizes that are mostly short and sometimes
huge, started at the hours people work. The same (count, months, seed, start)
always yields the same messages, and memory stays bounded by one session.
"""

from __future__ import annotations

import math
import random
import uuid
from datetime import datetime, timedelta
from typing import Iterator

from bson import ObjectId

from ..errors import ShardsmithError
from .vocabulary import BRANCHES, MODELS, WORDS

DEFAULT_START = datetime(2024, 1, 1)
MAX_SESSION = 1500  # the tail of the session-size distribution, and the memory bound
HOURLY_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 5, 8, 11, 12, 12, 9, 11, 12, 12, 11, 9, 7, 6, 5, 4, 3, 2)  # UTC hours
WEEKEND_ACTIVITY = 0.35
MILLISECOND = timedelta(milliseconds=1)


def generate_messages(count: int, months: int = 1, seed: int = 0, start=DEFAULT_START) -> Iterator[dict]:
    """Yield `count` messages timestamped within `months` months from the month of `start` (UTC).

    Messages come session by session (not in global time order). Timestamps are
    aware UTC datetimes with millisecond precision (what BSON stores), so a
    round trip through MongoDB gives back equal values.
    """
    if not isinstance(count, int) or count < 0:
        raise ShardsmithError(f"message count {count!r} must be a whole number >= 0")
    if not isinstance(months, int) or months < 1:
        raise ShardsmithError(f"months {months!r} must be a whole number >= 1", hint="spread over at least one month")
    from ..rolling.naming import month_bounds, to_utc

    first = to_utc(start)
    window_start = month_bounds(first.year, first.month)[0]
    end_year, end_month = divmod(first.month - 1 + months, 12)
    window_end = month_bounds(first.year + end_year, end_month + 1)[0]
    return _messages(count, random.Random(seed), _Population(count, random.Random(seed ^ 0x5EED)),
                     window_start, window_end)


class _Population:
    """Users (few very active, many occasional) and the text they write."""

    def __init__(self, count: int, rng: random.Random):
        self.users = [ObjectId(rng.randbytes(12)) for _ in range(max(3, min(50_000, count // 150)))]
        self.text = _Text(rng)

    def pick_user(self, rng: random.Random) -> ObjectId:
        return self.users[int(len(self.users) * rng.random() ** 3)]  # skewed to the first users


def _messages(count, rng, population, window_start, window_end) -> Iterator[dict]:
    left = count
    while left:
        session = _session(rng, population, min(left, _session_size(rng)), window_start, window_end)
        yield from session
        left -= len(session)


def _session_size(rng: random.Random) -> int:
    """Heavy-tailed: half the sessions have a handful of messages, a few have hundreds."""
    return min(MAX_SESSION, 1 + int(2 * rng.paretovariate(1.1)))


def _session(rng, population, size, window_start, window_end) -> list[dict]:
    session_id = str(_uuid(rng))
    user = population.pick_user(rng)
    model, _, price = rng.choices(MODELS, weights=[share for _, share, _ in MODELS])[0]
    branch = _branch(rng)
    moment = _session_start(rng, window_start, window_end)
    messages, parent = [], None
    for position in range(size):
        kind = "user" if position % 2 == 0 else "assistant"
        message = {"uuid": str(_uuid(rng)), "parentUuid": parent, "sessionId": session_id, "user_id": user,
                   "type": kind, "gitBranch": branch, "timestamp": moment, "content": population.text.cut(rng, kind)}
        if kind == "assistant":
            message["model"] = model
            message["costUsd"] = _cost(rng, price, len(message["content"]))
        messages.append(message)
        parent = message["uuid"]
        moment += _pause(rng, kind)
    overrun = messages[-1]["timestamp"] - (window_end - MILLISECOND)
    if overrun > timedelta(0):  # keep the whole conversation inside the window
        for message in messages:
            message["timestamp"] = max(window_start, message["timestamp"] - overrun)
    for message in messages:
        message["_id"] = _insert_id(message)
    return messages


def _insert_id(message: dict) -> ObjectId:
    """The _id a live application's insert would have got: its time part is the message's time.

    Without it the driver stamps load time, and insertion order (what the key
    lab's monotonicity and hotspot tests read) would follow session order,
    not time. The other 8 bytes come from the uuid, so the random sequence,
    and every seed's output, is unchanged.
    """
    seconds = int(message["timestamp"].timestamp())
    return ObjectId(seconds.to_bytes(4, "big") + uuid.UUID(message["uuid"]).bytes[-8:])


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _branch(rng: random.Random) -> str:
    branch = rng.choices([b for b, _ in BRANCHES], weights=[w for _, w in BRANCHES])[0]
    return branch.format(n=int(rng.paretovariate(1.0) * 10))


def _session_start(rng: random.Random, window_start: datetime, window_end: datetime) -> datetime:
    """A day in the window (weekends quieter), an hour of the working rhythm, a random ms."""
    days = (window_end - window_start).days
    while True:
        day = window_start + timedelta(days=rng.randrange(days))
        if day.weekday() < 5 or rng.random() < WEEKEND_ACTIVITY:
            break
    hour = rng.choices(range(24), weights=HOURLY_WEIGHTS)[0]
    return day + timedelta(hours=hour, milliseconds=rng.randrange(3_600_000))


def _pause(rng: random.Random, kind: str) -> timedelta:
    """Assistants answer in seconds; people read and type for a minute or so."""
    mean_ms = 9_000 if kind == "user" else 70_000
    return timedelta(milliseconds=1 + int(rng.expovariate(1 / mean_ms)))


class _Text:
    """Message text cut from one long random passage: realistic words at the cost of a slice."""

    def __init__(self, rng: random.Random):
        self.passage = " ".join(rng.choices(WORDS, k=60_000)) + " "

    def cut(self, rng: random.Random, kind: str) -> str:
        mean_chars = 150 if kind == "user" else 850
        size = max(2, min(12_000, int(rng.lognormvariate(math.log(mean_chars), 0.8))))
        begin = self.passage.find(" ", rng.randrange(len(self.passage) - size - 100)) + 1
        end = self.passage.find(" ", begin + size)
        return self.passage[begin:end]


def _cost(rng: random.Random, price_per_token: float, characters: int) -> float:
    """Dollars: tokens (about 4 characters each, plus the prompt context) times the model's price."""
    tokens = characters / 4 + rng.randrange(200, 8_000)
    return round(tokens * price_per_token, 6)

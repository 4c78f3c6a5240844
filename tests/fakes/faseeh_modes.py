"""Named ways to set the fake Faseeh up as one of the behaviours the evidence reports.

Shared by the Wyoming and Home Assistant mode tests, so both front doors meet the same
service. Each takes the fake and turns its knobs; none of them is kinder than the default.
"""

from __future__ import annotations

from .faseeh import FakeFaseeh


def arrange_nothing(_: FakeFaseeh) -> None:
    """The fake as the evidence says the service is by default (header auth refused)."""


def silent(fake: FakeFaseeh) -> None:
    """The socket takes text and never sends audio (a live probe, 2026-08-31)."""
    fake.silent_socket = True


def batches(fake: FakeFaseeh) -> None:
    """``isFinal`` on every batch, odd frame sizes, a gap between batches."""
    fake.frame_sizes = [1201, 7]
    fake.batches = 3
    fake.batch_gap = 0.1


def needs_flush(fake: FakeFaseeh) -> None:
    """No audio until the client sends ``flush: true``."""
    fake.needs_flush = True


def socket_refuses_every_key(fake: FakeFaseeh) -> None:
    """Neither the initConnection key nor the URL key opens the socket (REST still works)."""
    fake.init_key_auth = False
    fake.query_key_auth = False


def init_key_refused(fake: FakeFaseeh) -> None:
    """Only the ``?x-api-key=`` URL form opens the socket."""
    fake.init_key_auth = False

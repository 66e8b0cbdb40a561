"""Full garbage collections wait for a quiet desk; young ones wait for a key's frame."""

from __future__ import annotations

import asyncio
import gc

from askdesk.tui.collector import NO_AUTOMATIC_FULL_COLLECTIONS, IdleCollector


def test_start_freezes_and_stops_automatic_full_collections_stop_undoes_it() -> None:
    before = gc.get_threshold()
    collector = IdleCollector()
    collector.start()
    try:
        assert gc.get_threshold()[2] == NO_AUTOMATIC_FULL_COLLECTIONS
        assert gc.get_threshold()[:2] == before[:2]
        assert gc.get_freeze_count() > 0
    finally:
        collector.stop()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_collects_only_when_no_key_came_for_a_while() -> None:
    collector = IdleCollector(quiet=60.0, overdue=3600.0)
    collector.key_pressed()
    collector.tick()
    assert collector.collections == 0  # a key just now: not while staff are typing
    collector.quiet = 0.0
    collector.tick()
    assert collector.collections == 1


def test_a_long_busy_stretch_still_collects() -> None:
    collector = IdleCollector(quiet=60.0, overdue=0.0)
    collector.key_pressed()
    collector.tick()
    assert collector.collections == 1


async def test_a_key_pauses_young_collections_until_its_frame_is_out() -> None:
    collector = IdleCollector(settle=0.05)
    collector.start()
    try:
        collector.key_pressed()
        assert collector.paused and not gc.isenabled()
        collector.key_pressed()  # a second key in the same pause changes nothing
        await asyncio.sleep(0.2)  # the pause's length is what is under test
        assert not collector.paused and gc.isenabled()
    finally:
        collector.stop()


async def test_stop_ends_a_pause_and_before_start_keys_pause_nothing() -> None:
    collector = IdleCollector(settle=60.0)
    collector.key_pressed()
    assert not collector.paused and gc.isenabled()
    collector.start()
    collector.key_pressed()
    assert not gc.isenabled()
    collector.stop()
    assert not collector.paused and gc.isenabled()

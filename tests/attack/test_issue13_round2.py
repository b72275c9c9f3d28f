"""Issue 13, second attack round: staff and partner-feed material the authors did not use."""

from __future__ import annotations

import logging

import pytest

from hrc_outreach.sources.places import city_as_written


def test_an_alias_chain_reaches_the_name_the_network_writes() -> None:
    # "Nikolaev" -> "Nikolayev" -> "Mykolaiv": the middle spelling is one the network does not
    # write either, so the source's "Nikolaev" must show as "Mykolaiv", not "Nikolayev".
    aliases = {"Nikolaev": "Nikolayev", "Nikolayev": "Mykolaiv"}
    assert city_as_written("Nikolaev", aliases) == "Mykolaiv"
    assert city_as_written("nikolayev", aliases) == "Mykolaiv"


def test_an_alias_loop_warns_and_leaves_the_names_as_the_source_wrote_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    aliases = {"Kyiv": "Kiev", "Kiev": "Kyiv", "Odessa": "Odesa"}
    with caplog.at_level(logging.WARNING):
        shown = [city_as_written(c, aliases) for c in ("Kyiv", "Kiev", "Odessa")]
    # a loop has no name the network writes: neither spelling is swapped for the other
    assert shown == ["Kyiv", "Kiev", "Odesa"]
    loops = [r.getMessage() for r in caplog.records if "loop" in r.getMessage()]
    assert loops and "Kyiv" in loops[0] and "Kiev" in loops[0] and "place_aliases" in loops[0]


def test_a_self_alias_is_no_loop(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert city_as_written("MYKOLAIV", {"Mykolaiv": "Mykolaiv"}) == "Mykolaiv"
    assert not [r for r in caplog.records if "loop" in r.getMessage()]

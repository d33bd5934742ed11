"""What each config key means: units and sources on every field, --explain, the reference page."""

from __future__ import annotations

import re

import pytest

from socialsim import ConfigError, ModelConfig
from socialsim.config import reference
from socialsim.config.reference import config_keys, explain, reference_markdown, show_value
from socialsim.mechanisms.component import ComponentSection

KEYS = config_keys()


def test_every_key_of_the_schema_is_walked_including_table_rows_and_platforms():
    paths = {key.path for key in KEYS}
    assert len(paths) == len(KEYS) > 170
    assert {
        "population.n_consumers",
        "population.tiers.TIER.share",
        "network.tiers.TIER.community_size",
        "catalogue.categories.CATEGORY.need_rate",
        "behaviour.conversion.price_weight",
        "platforms.PLATFORM.group_buying.kanjia.first_cut",
        "platforms.PLATFORM.micro_stores.regulation.fine",
        "platforms.PLATFORM.group_buying.price_ladder",
        "campaign.fee_per_follower.koc",
        "run.seed",
    } <= paths
    assert not any(path.startswith("extensions") for path in paths)


@pytest.mark.parametrize("key", KEYS, ids=lambda key: key.path)
def test_every_key_has_a_description_a_unit_and_a_source(key):
    # a field added without them fails here: give Field(..., unit=..., source=...)
    assert key.description.strip(), f"{key.path}: no description"
    assert key.unit.strip(), f"{key.path}: no unit (Field(..., unit=...))"
    assert key.source.strip(), f"{key.path}: no source (Field(..., source=...))"


def test_a_plug_in_section_s_flag_has_its_unit():
    field = ComponentSection.model_fields["enabled"]
    assert field.json_schema_extra["unit"] == "- (flag)"


def test_units_and_sources_leave_the_config_and_its_hash_alone():
    from tests.unit.config.test_schema import DEFAULT_HASH

    assert ModelConfig().config_hash() == DEFAULT_HASH
    assert "share of consumers (0-1)" not in ModelConfig().to_yaml()


def test_bounds_and_types_come_from_the_schema():
    keys = {key.path: key for key in KEYS}
    assert keys["platforms.PLATFORM.group_buying.discount"].bounds == ">= 0, < 1"
    assert keys["population.n_consumers"].bounds == ">= 2, <= 2,147,483,647"
    assert keys["behaviour.conversion.base_search"].bounds == ""
    assert keys["run.seed"].kind == "int or null"
    assert keys["influencers.kol_homes"].kind == "'random' or 'by_followers'"
    assert keys["platforms.PLATFORM.c2m.thresholds"].kind == "list of float"
    assert keys["platforms.PLATFORM.micro_stores.commission_rates"].bounds == (
        "at least 1 item, at most 20 items"
    )


# --------------------------------------------------------------------------- the reference page


def _blocks(text: str) -> dict[str, str]:
    """The reference's entry of each key, by its path."""
    blocks = {}
    for chunk in text.split("\n(config-")[1:]:
        match = re.match(r"[^\n]*\)=\n`([^`]+)`\n: ", chunk)
        if match:
            blocks[match.group(1)] = chunk
    return blocks


def test_the_reference_gives_every_key_with_its_unit_and_default():
    blocks = _blocks(reference_markdown())
    world = ModelConfig()
    assert set(blocks) == {key.path for key in KEYS}
    for key in KEYS:
        block = blocks[key.path]
        assert f"**unit** {reference._md(key.unit)}" in block, key.path
        assert "**default** " in block, key.path
        if key.has_default:
            assert f"`{show_value(key.default)}`" in block, key.path
        parts = key.path.split(".")
        if parts[0] != "platforms" and any(p.isupper() for p in parts):
            # a table's key: the default world's value in each row
            at = next(i for i, p in enumerate(parts) if p.isupper())
            for row, value in reference._get(world, parts[:at]).items():
                shown = show_value(reference._get(value, parts[at + 1 :]))
                assert f"{row} `{shown}`" in block, (key.path, row)


def test_the_reference_shows_what_each_preset_sets():
    text = reference_markdown()
    block = _blocks(text)["platforms.PLATFORM.group_buying.discount"]
    assert "`0.25`" in block and "kaola `0.1`" in block
    assert "| `group_buying.discount` | – | `0.1` |" in text  # the presets' table
    assert "## `platforms.PLATFORM`" in text and "#### `platforms.PLATFORM.group_buying" in text


# --------------------------------------------------------------------------- explain


def test_explain_a_value_in_the_default_world():
    text = explain("platforms.pinduoduo.group_buying.discount")
    assert text.splitlines()[0] == "platforms.pinduoduo.group_buying.discount"
    assert "Group price = solo price x (1 - discount)." in text
    assert re.search(r"unit +share of the solo price \(0-1\)", text)
    assert re.search(r"default +0\.25 in the default world \(the pinduoduo preset's value", text)
    assert re.search(r"bounds +>= 0, < 1", text)
    assert re.search(r"source +no reliable typical value", text)
    assert re.search(r"type +float", text)


def test_explain_shows_the_value_of_the_config_given():
    config = ModelConfig().with_overrides({"platforms.kaola.group_buying.discount": 0.3})
    text = explain("platforms.kaola.group_buying.discount", config, "in w.yaml with --set")
    expected = (
        "0.3 in w.yaml with --set (the kaola preset's value: 0.1; the schema's default: 0.25)"
    )
    assert expected in text
    same = explain("platforms.pinduoduo.group_buying.discount")
    assert "0.25 in the default world (the pinduoduo preset's value; the schema's default)" in same


def test_explain_a_table_row_and_every_row():
    assert "0.22 in the default world" in explain("population.tiers.3.share")
    every = explain("population.tiers.TIER.share")
    assert "1 0.09, 2 0.18, 3 0.22" in every
    platforms = explain("platforms.PLATFORM.group_buying.enabled")
    assert "kaola true" in platforms and "douyin false" in platforms


def test_explain_a_section_lists_its_keys():
    text = explain("population")
    assert text.startswith("population: Consumers and the cities they live in.")
    assert "n_consumers = 50000 (consumers): Number of consumers" in text
    assert "tiers: a table of tier rows (1, 2, 3, 4, 5, 6)" in text
    group = explain("platforms.kaola.group_buying")
    assert "discount = 0.1 (share of the solo price (0-1))" in group
    assert "kanjia: a section (7 keys)" in group
    assert "rows in the default world: douyin, kaola" in explain("platforms")


@pytest.mark.parametrize(
    ("key", "path", "fragment"),
    [
        ("population.n_consumer", "population.n_consumer", "did you mean 'n_consumers'?"),
        ("populaton", "populaton", "did you mean 'population'?"),
        ("platforms.pdd.group_buying", "platforms.pdd", "did you mean 'pinduoduo'?"),
        ("catalogue.categories.beuty", "catalogue.categories.beuty", "did you mean 'beauty'?"),
        ("population.tiers.x.share", "population.tiers.x", "whole numbers"),
        ("population.tiers.9", "population.tiers.9", "no tier '9'"),
        ("run.steps.max", "run.steps.max", "'run.steps' is a value, not a section"),
        ("extensions", "extensions", "unknown key"),
        ("a..b", "a..b", "not a valid dotted key path"),
    ],
)
def test_explain_an_unknown_key_names_it(key, path, fragment):
    with pytest.raises(ConfigError) as info:
        explain(key)
    problem = info.value.problems[0]
    assert info.value.source == "--explain"
    assert problem.path == path
    assert fragment in str(info.value)

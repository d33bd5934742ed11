"""The config schema: defaults from shared/domain.md, frozen sections, rules with key paths."""

from __future__ import annotations

import typing
from collections.abc import Mapping

import pytest

from socialsim import ConfigError, ModelConfig
from socialsim.config._base import Section
from socialsim.config.documents import stable_hash


def test_default_tier_table_matches_domain_facts():
    tiers = ModelConfig().population.tiers
    assert sorted(tiers) == [1, 2, 3, 4, 5, 6]
    assert sum(t.share for t in tiers.values()) == pytest.approx(1.0)
    # 73 % of the population lives in tier 3 and below (Morgan Stanley 2017)
    assert sum(tiers[k].share for k in (3, 4, 5, 6)) == pytest.approx(0.73)
    # incomes fall and price sensitivity rises down the tiers
    incomes = [tiers[k].median_income for k in range(1, 7)]
    sensitivity = [tiers[k].price_sensitivity for k in range(1, 7)]
    assert incomes == sorted(incomes, reverse=True)
    assert sensitivity == sorted(sensitivity)


def test_required_keys_exist_with_defaults():
    cfg = ModelConfig()
    assert cfg.population.n_consumers == 50_000
    assert cfg.network.mean_degree > 0
    assert cfg.influencers.n_kols > 0
    assert cfg.influencers.n_kocs > 0
    assert cfg.stores.n_owners > 0
    assert {"beauty", "mother_baby", "fashion", "food_farm", "electronics", "household"} <= set(
        cfg.catalogue.categories
    )


def test_config_is_frozen_including_tables():
    cfg = ModelConfig()
    with pytest.raises(Exception, match="frozen"):
        cfg.population.n_consumers = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        cfg.population.tiers[1] = cfg.population.tiers[2]  # type: ignore[index]
    with pytest.raises(TypeError):
        cfg.catalogue.categories["toys"] = cfg.catalogue.categories["beauty"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("override", "path", "fragment"),
    [
        ({"population.n_consumers": 0}, "population.n_consumers", "greater than or equal to 2"),
        ({"population.n_consumers": 2.5}, "population.n_consumers", "whole number"),
        ({"population.tiers.3.share": 1.5}, "population.tiers.3.share", "less than or equal to 1"),
        ({"population.tiers.3.share": 0.3}, "population.tiers", "must sum to 1"),
        ({"population.tiers.2.median_income": -1}, "population.tiers.2.median_income", "greater"),
        ({"network.mean_degree": "many"}, "network.mean_degree", "valid number"),
        ({"network.mean_degree": 60_000}, "network.mean_degree", "population.n_consumers"),
        ({"network.weak_tie_share": -0.1}, "network.weak_tie_share", "greater than or equal"),
        ({"influencers.n_kols": -1}, "influencers.n_kols", "greater than or equal to 0"),
        ({"influencers.n_kocs": 60_000}, "influencers.n_kocs", "outnumber consumers"),
        ({"stores.n_owners": -5}, "stores.n_owners", "greater than or equal to 0"),
        ({"influencers.kol_min_follower_share": 0.5}, "influencers.kol_min_follower_share", "<="),
        (
            {"catalogue.categories.beauty.need_rate": 2},
            "catalogue.categories.beauty.need_rate",
            "1",
        ),
        ({"run.steps": -1}, "run.steps", "greater than or equal to 0"),
        (
            {"behaviour.conversion.first_purchase_shift": 1},
            "behaviour.conversion.first_purchase_shift",
            "less",
        ),
    ],
)
def test_bad_value_names_key_path_rule_and_value(override, path, fragment):
    with pytest.raises(ConfigError) as info:
        ModelConfig().with_overrides(override)
    message = str(info.value)
    assert f"{path}:" in message
    assert fragment in message
    problem_paths = [p.path for p in info.value.problems]
    assert path in problem_paths


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
@pytest.mark.parametrize(
    "path",
    [
        "behaviour.conversion.base_search",
        "behaviour.need_patience_days",
        "influencers.trust_concentration",
        "influencers.koc_extra_followers",
        "influencers.kol_tier_affinity",
        "catalogue.quality_concentration",
        "population.tiers.2.median_income",
    ],
)
def test_nan_and_infinity_are_refused_up_front(path, value):
    with pytest.raises(ConfigError) as info:
        ModelConfig().with_overrides({path: value})
    assert [p.path for p in info.value.problems] == [path]


@pytest.mark.parametrize(
    ("override", "path"),
    [
        ({"behaviour.word_of_mouth_days": 2**30 + 10}, "behaviour.word_of_mouth_days"),
        ({"population.tiers.1.median_income": 1e39}, "population.tiers.1.median_income"),
        (
            {"catalogue.categories.beauty.median_price": 1e39},
            "catalogue.categories.beauty.median_price",
        ),
    ],
)
def test_values_beyond_what_the_arrays_hold_are_refused(override, path):
    with pytest.raises(ConfigError) as info:
        ModelConfig().with_overrides(override)
    assert [p.path for p in info.value.problems] == [path]


def test_table_sizes_are_limited_to_what_the_id_dtypes_hold():
    row = dict(n_products=1, median_price=1, price_sigma=0, need_rate=0.01, influencer_affinity=1)
    categories = {f"c{i}": row for i in range(1001)}
    with pytest.raises(ConfigError, match=r"catalogue\.categories: at most 1000 categories"):
        ModelConfig.from_dict({"catalogue": {"categories": categories}})
    tier = dict(share=1 / 101, median_income=1, online_share=1, price_sensitivity=1, n_cities=1)
    net = dict(community_size=10, community_tie_share=0.5)
    with pytest.raises(ConfigError, match=r"population\.tiers: at most 100 tiers"):
        ModelConfig.from_dict(
            {
                "population": {"tiers": {k: tier for k in range(1, 102)}},
                "network": {"tiers": {k: net for k in range(1, 102)}},
            }
        )


def test_kols_need_a_category_to_post_about():
    zero = {
        f"catalogue.categories.{c}.influencer_affinity": 0
        for c in ModelConfig().catalogue.categories
    }
    with pytest.raises(
        ConfigError, match=r"catalogue\.categories: influencer_affinity must be > 0"
    ):
        ModelConfig().with_overrides(zero)
    assert ModelConfig().with_overrides({**zero, "influencers.n_kols": 0}).influencers.n_kols == 0


def test_error_shows_the_offending_value():
    with pytest.raises(ConfigError) as info:
        ModelConfig().with_overrides({"population.tiers.3.share": 1.5})
    assert "got 1.5" in str(info.value)


def test_tier_tables_must_agree():
    with pytest.raises(ConfigError, match=r"network\.tiers: must have the same tiers"):
        ModelConfig.from_dict(
            {
                "population": {
                    "tiers": {
                        1: dict(
                            share=1.0,
                            median_income=1,
                            online_share=1,
                            price_sensitivity=1,
                            n_cities=1,
                        )
                    }
                }
            }
        )


def test_tier_keys_must_be_consecutive_from_one():
    row = dict(share=0.5, median_income=1, online_share=1, price_sensitivity=1, n_cities=1)
    net = dict(community_size=10, community_tie_share=0.5)
    with pytest.raises(ConfigError, match=r"population\.tiers: tiers must be numbered 1\.\.2"):
        ModelConfig.from_dict(
            {
                "population": {"tiers": {1: row, 3: row}},
                "network": {"tiers": {1: net, 3: net}},
            }
        )


def test_category_names_must_be_identifiers():
    row = dict(n_products=1, median_price=1, price_sigma=0, need_rate=0.1, influencer_affinity=1)
    with pytest.raises(ConfigError, match=r"catalogue\.categories\.Toys and Games: category names"):
        ModelConfig.from_dict({"catalogue": {"categories": {"Toys and Games": row}}})


def test_config_hash_ignores_run_section_but_not_world():
    cfg = ModelConfig()
    assert cfg.config_hash() == cfg.with_overrides({"run.seed": 5, "run.steps": 3}).config_hash()
    assert cfg.config_hash() != cfg.with_overrides({"network.mean_degree": 9}).config_hash()


# The default world's hash as the stored run ids (tests/data/golden_sweep.json) know it.
DEFAULT_HASH = "1d15393200dee66c29cb14ce75c5fc540975a953beb37d8177c2ab08219fdc7e"


def test_the_default_hash_is_the_one_the_golden_sweep_stored():
    # When a deliberate change moves a default (issue 22 moved several off their neutral
    # values; issue 25 made C2M production, c2m.mode), the golden files are regenerated and
    # this hash changes with them. A config with every c2m.mode at "steps" keeps the hash
    # before issue 25 (tests/unit/mechanisms/test_made_to_order.py).
    assert ModelConfig().config_hash() == DEFAULT_HASH


def neutral_options(section, path=""):
    """Yield (dotted path, neutral value) of every hash-neutral option under `section`."""
    for name, value in type(section).hash_neutral.items():
        yield f"{path}{name}", value
    for name in type(section).model_fields:
        value = getattr(section, name)
        rows = value.items() if isinstance(value, Mapping) else [(None, value)]
        for key, row in rows:
            if isinstance(row, Section):
                where = f"{path}{name}." if key is None else f"{path}{name}.{key}."
                yield from neutral_options(row, where)


def test_a_hash_neutral_option_counts_once_it_leaves_its_neutral_value():
    undated = ModelConfig()
    dated = undated.with_overrides({"run.start_date": "2021-10-01"})
    for key, value in neutral_options(undated):
        # the calendar counts only in a run with dates
        cfg = dated if key.startswith("calendar.") else undated
        neutral = cfg.with_overrides({key: value})
        # at their neutral values the options are as if they did not exist...
        written = neutral.to_dict()
        run = written.pop("run")
        if run["start_date"] is None:
            written.pop("calendar")  # without run.start_date the calendar is out of the hash
        else:
            written["start_date"] = run["start_date"]
        written.pop("shocks")  # and so is an empty shocks table
        for other, other_value in neutral_options(neutral):
            *path, name = other.split(".")
            if path[0] not in written:
                continue
            node = written
            for part in path:
                node = node[part]
            if node[name] == other_value:
                del node[name]
        assert neutral.config_hash() == stable_hash(written), key
        # ...and off it, it counts
        assert changed(neutral, key, value).config_hash() != neutral.config_hash(), key


def changed(cfg, key, value):
    """Return `cfg` with option `key` moved off `value` to a valid other value."""
    if isinstance(value, str):  # a choice: any other of its values
        *path, name = key.split(".")
        section = cfg
        for part in path:
            section = section[part] if isinstance(section, Mapping) else getattr(section, part)
        choices = typing.get_args(type(section).model_fields[name].annotation)
        others = [choice for choice in choices if choice != value]
    elif isinstance(value, bool):
        others = [not value]
    else:
        others = [value + 1, value - 1, value + 0.1]
    for other in others:
        try:
            return cfg.with_overrides({key: other})
        except ConfigError:
            continue
    raise AssertionError(f"no valid value of {key} other than {value!r} among {others}")


def test_small_world_scales_head_counts():
    cfg = ModelConfig.small(5_000)
    assert cfg.population.n_consumers == 5_000
    assert (cfg.influencers.n_kols, cfg.influencers.n_kocs, cfg.stores.n_owners) == (25, 100, 50)


def test_overrides_leave_the_callers_mappings_as_they_were():
    row = {"preset": "pinduoduo"}
    overrides = {"platforms": {"pdd": row}, "platforms.pdd.group_buying.discount": 0.3}
    config = ModelConfig().with_overrides(overrides)
    assert config.platforms["pdd"].group_buying.discount == 0.3
    assert row == {"preset": "pinduoduo"}

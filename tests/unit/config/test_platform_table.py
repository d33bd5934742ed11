"""The platforms table: new platforms need a preset, and a platform can be switched off."""

from __future__ import annotations

import pytest

from socialsim import ConfigError, ModelConfig
from socialsim.config import PRESETS, PlatformConfig, load_config
from socialsim.config.platforms import plain_platform, platform_of_key, preset_data

DEFAULT = ModelConfig()


def refusal(make) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        make()
    return caught.value


# --------------------------------------------------------------------------- new names


@pytest.mark.parametrize(
    ("name", "meant"),
    [("pdd", "pinduoduo"), ("pinduodou", "pinduoduo"), ("dy", "douyin"), ("ks", "kuaishou")],
)
def test_a_misspelt_platform_is_refused_with_a_did_you_mean(name, meant):
    error = refusal(
        lambda: DEFAULT.with_overrides({f"platforms.{name}.group_buying.discount": 0.3})
    )
    [problem] = error.problems
    assert problem.path == f"platforms.{name}"
    assert problem.rule.startswith(f"unknown platform; did you mean {meant!r}?")
    # the way to a new platform, with every preset it may start from
    assert "A new platform needs 'preset: NAME' (one of " + ", ".join(PRESETS) in problem.rule
    assert str(error).startswith(f"--set: platforms.{name}: unknown platform")


def test_a_new_name_like_no_platform_gets_the_preset_hint_only():
    data = DEFAULT.to_dict()
    data["platforms"]["xyz"] = {"initial_users": 0.1}
    [problem] = refusal(lambda: ModelConfig.from_dict(data, source="w.yaml")).problems
    assert problem.path == "platforms.xyz"
    assert "did you mean" not in problem.rule
    assert problem.rule.startswith("unknown platform. A new platform needs 'preset: NAME'")


def test_the_table_s_own_names_are_suggested_too():
    base = ModelConfig.from_dict({"platforms": {"market": plain_platform()}})
    [problem] = refusal(lambda: base.with_overrides({"platforms.markt.price_level": 2})).problems
    assert problem.path == "platforms.markt" and "did you mean 'market'?" in problem.rule


def test_a_new_platform_copies_its_preset_and_applies_its_own_keys():
    pdd = PlatformConfig(preset="pinduoduo")
    for config in (
        # keys in either order: the preset is applied under the row's own keys
        DEFAULT.with_overrides(
            {"platforms.pdd.group_buying.discount": 0.4, "platforms.pdd.preset": "pinduoduo"}
        ),
        ModelConfig.from_dict(
            {"platforms": {"pdd": {"preset": "pinduoduo", "group_buying": {"discount": 0.4}}}}
        ),
    ):
        row = config.platforms["pdd"]
        assert row.group_buying.discount == 0.4 != pdd.group_buying.discount
        assert row.model_dump(exclude={"group_buying"}) == pdd.model_dump(exclude={"group_buying"})
        assert row.group_buying.model_dump(exclude={"discount"}) == pdd.group_buying.model_dump(
            exclude={"discount"}
        )
    assert sorted(config.platforms) == ["pdd"]  # a table in a document replaces the default


def test_preset_null_is_an_explicit_start_from_the_defaults():
    config = DEFAULT.with_overrides(
        {"platforms.shop.preset": None, "platforms.shop.initial_users": 0.2}
    )
    assert config.platforms["shop"] == PlatformConfig(initial_users=0.2)
    assert config.platforms["shop"].group_buying.enabled is False  # no preset behind it
    # and so is a plain row, under any name; also as a PlatformConfig given directly
    assert "lab" in ModelConfig.from_dict({"platforms": {"lab": plain_platform()}}).platforms
    assert (
        "lab"
        in ModelConfig.from_dict({"platforms": {"lab": PlatformConfig(preset=None)}}).platforms
    )
    [problem] = refusal(
        lambda: ModelConfig.from_dict({"platforms": {"lab": PlatformConfig()}})
    ).problems
    assert problem.path == "platforms.lab" and problem.rule.startswith("unknown platform")


def test_a_preset_s_name_needs_no_preset_key():
    # as before: a row named after a preset may leave `preset` out (it starts from the defaults)
    config = ModelConfig.from_dict({"platforms": {"kaola": {"initial_users": 0.5}}})
    assert config.platforms["kaola"] == PlatformConfig(initial_users=0.5)


def test_an_unknown_preset_is_refused_with_a_did_you_mean():
    [problem] = refusal(
        lambda: DEFAULT.with_overrides({"platforms.shop.preset": "pindoudou"})
    ).problems
    assert problem.path == "platforms.shop.preset"
    assert "unknown platform preset 'pindoudou'; did you mean 'pinduoduo'?" in problem.rule


def test_a_platform_set_to_null_is_told_how_to_switch_it_off():
    [problem] = refusal(lambda: DEFAULT.with_overrides({"platforms.yunji": None})).problems
    assert problem.path == "platforms.yunji"
    assert "got None" in problem.rule and "set platforms.yunji.enabled to false" in problem.rule


# --------------------------------------------------------------------------- switching off


def test_enabled_false_switches_a_platform_off_and_keeps_its_row():
    config = DEFAULT.with_overrides({"platforms.pinduoduo.enabled": False})
    assert list(config.platforms) == list(DEFAULT.platforms)
    assert config.platforms["pinduoduo"].enabled is False
    assert config.platforms["pinduoduo"].group_buying == DEFAULT.platforms["pinduoduo"].group_buying
    assert list(config.active_platforms) == [n for n in DEFAULT.platforms if n != "pinduoduo"]
    assert list(DEFAULT.active_platforms) == list(DEFAULT.platforms)
    with pytest.raises(TypeError):
        config.active_platforms["pinduoduo"] = DEFAULT.platforms["pinduoduo"]  # read-only


def test_a_switched_off_row_is_still_validated():
    [problem] = refusal(
        lambda: DEFAULT.with_overrides(
            {"platforms.yunji.enabled": False, "platforms.yunji.initial_users": 2}
        )
    ).problems
    assert problem.path == "platforms.yunji.initial_users"


def test_every_platform_switched_off_is_refused():
    off = {f"platforms.{name}.enabled": False for name in DEFAULT.platforms}
    [problem] = refusal(lambda: DEFAULT.with_overrides(off)).problems
    assert problem.path == "platforms"
    assert problem.rule.startswith("at least one platform must be enabled")
    one_left = DEFAULT.with_overrides({**off, "platforms.kaola.enabled": True})
    assert list(one_left.active_platforms) == ["kaola"]


def test_enabled_is_refused_unless_true_or_false():
    [problem] = refusal(lambda: DEFAULT.with_overrides({"platforms.kaola.enabled": "no"})).problems
    assert problem.path == "platforms.kaola.enabled"


def test_the_hash_of_a_config_that_leaves_platforms_on_is_unchanged():
    # `enabled` is hash-neutral at true: every stored run id stays valid
    written_on = DEFAULT.with_overrides({f"platforms.{n}.enabled": True for n in PRESETS})
    assert written_on.config_hash() == DEFAULT.config_hash()
    small = ModelConfig.small()
    assert small.with_overrides({"platforms.douyin.enabled": True}).config_hash() == (
        small.config_hash()
    )
    off = DEFAULT.with_overrides({"platforms.yunji.enabled": False})
    assert off.config_hash() != DEFAULT.config_hash()
    # nor is the switched-off world the world without the row: the config says which it is
    data = DEFAULT.to_dict()
    del data["platforms"]["yunji"]
    assert ModelConfig.from_dict(data).config_hash() != off.config_hash()


def test_a_switched_off_platform_and_a_new_one_survive_the_written_config(tmp_path):
    config = DEFAULT.with_overrides(
        {
            "platforms.yunji.enabled": False,
            "platforms.pdd.preset": "pinduoduo",
            "platforms.lab.preset": None,
        }
    )
    path = tmp_path / "w.yaml"
    path.write_text(config.to_yaml())
    again = load_config(path)
    assert again == config and again.config_hash() == config.config_hash()
    assert "yunji" not in again.active_platforms and "lab" in again.active_platforms


def test_platform_of_key_names_the_platform_a_setting_belongs_to():
    assert platform_of_key("platforms.kaola.membership.fee") == "kaola"
    assert platform_of_key("platforms.kaola.enabled") is None
    assert platform_of_key("platforms.kaola.preset") is None
    assert platform_of_key("platforms.kaola") is None
    assert platform_of_key("catalogue.categories.kaola.n_products") is None


def test_plain_rows_and_presets_agree_with_the_table_rule():
    # every preset starts a platform under its own name or any other
    for name in PRESETS:
        assert preset_data(name).get("enabled", True) is True  # presets never switch off
        renamed = ModelConfig.from_dict({"platforms": {f"my_{name}": {"preset": name}}})
        assert renamed.platforms[f"my_{name}"] == PlatformConfig(preset=name)

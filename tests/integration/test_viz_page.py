"""The interactive page: its controls make the world they say, and the page steps the model."""

from __future__ import annotations

import ipyvuetify as v
import ipywidgets as widgets
import numpy as np
import pandas as pd
import pytest
import solara
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz

from socialsim.analysis import viz
from socialsim.analysis.viz import (
    CONFIG_ENV,
    InteractiveSocialCommerceModel,
    Page,
    draw_network_state,
    page_components,
    page_config,
    page_parameters,
)
from socialsim.config import ModelConfig
from socialsim.errors import ConfigError

SMALL = {"n_consumers": 1_000, "seed": 4}


# --------------------------------------------------------------------------- page_config


def test_page_config_scales_head_counts_with_consumers():
    base = ModelConfig()
    cfg = page_config(base, n_consumers=5_000)
    factor = 5_000 / base.population.n_consumers
    assert cfg.population.n_consumers == 5_000
    assert cfg.influencers.n_kols == round(base.influencers.n_kols * factor)
    assert cfg.influencers.n_kocs == round(base.influencers.n_kocs * factor)
    assert cfg.stores.n_owners == round(base.stores.n_owners * factor)
    assert cfg.daigou.n_shoppers == round(base.daigou.n_shoppers * factor)
    # a tiny world keeps one KOL rather than none
    assert page_config(base, n_consumers=500).influencers.n_kols == 1


def test_page_config_keeps_the_base_when_consumers_do_not_change():
    base = ModelConfig().with_overrides({"influencers.n_kols": 7})
    cfg = page_config(base, n_consumers=base.population.n_consumers)
    assert cfg.influencers.n_kols == 7
    assert cfg.to_dict() == base.to_dict()


def test_page_config_applies_each_control_where_it_belongs():
    base = ModelConfig()
    cfg = page_config(
        base,
        platforms={"kaola": False, "yunji": False},
        group_discount=0.45,
        feed="social",
        kol_commission=0.33,
        seed=9,
    )
    assert sorted(cfg.platforms) == sorted(set(base.platforms) - {"kaola", "yunji"})
    for name, platform in cfg.platforms.items():
        expected = 0.45 if base.platforms[name].group_buying.enabled else None
        if expected is None:  # platforms without group buying keep their own discount
            assert platform.group_buying.discount == base.platforms[name].group_buying.discount
        else:
            assert platform.group_buying.discount == expected
        assert platform.feed.kind == "social"
        assert platform.livestream.commission == 0.33
    assert any(p.group_buying.enabled for p in cfg.platforms.values())
    assert cfg.run.seed == 9


def test_page_config_as_preset_keeps_each_platforms_feed():
    base = ModelConfig()
    cfg = page_config(base, feed="as preset")
    assert {n: p.feed.kind for n, p in cfg.platforms.items()} == {
        n: p.feed.kind for n, p in base.platforms.items()
    }
    assert len({p.feed.kind for p in cfg.platforms.values()}) > 1


@pytest.mark.parametrize(
    ("controls", "message"),
    [
        ({"platforms": {"tmall": False}}, r"platforms: must be among .*got \['tmall'\]"),
        (
            {"platforms": dict.fromkeys(ModelConfig().platforms, False)},
            "platforms: at least one platform must be on",
        ),
        ({"feed": "viral"}, "feed: must be one of"),
        ({"group_discount": 1.5}, r"platforms\.pinduoduo\.group_buying\.discount"),
        ({"kol_commission": -0.1}, r"livestream\.commission"),
    ],
)
def test_page_config_rejects_bad_controls_naming_the_key(controls, message):
    with pytest.raises(ConfigError, match=message):
        page_config(**controls)


# --------------------------------------------------------------------------- the model


def test_model_takes_the_controls_and_stops_after_the_runs_days():
    base = ModelConfig().with_overrides({"run.steps": 3})
    model = InteractiveSocialCommerceModel(base=base, douyin=False, feed="none", **SMALL)
    assert "douyin" not in model.config.platforms
    assert {p.feed.kind for p in model.config.platforms.values()} == {"none"}
    for _ in range(3):
        assert model.running
        model.step()
    assert not model.running
    assert model.steps == 3


def test_model_is_reproducible_from_its_controls():
    a = InteractiveSocialCommerceModel(**SMALL)
    b = InteractiveSocialCommerceModel(**SMALL)
    c = InteractiveSocialCommerceModel(n_consumers=1_000, seed=5)
    for model in (a, b, c):
        for _ in range(5):
            model.step()
    pd.testing.assert_frame_equal(a.step_metrics(), b.step_metrics())
    assert not a.step_metrics()["gmv"].equals(c.step_metrics()["gmv"])


@pytest.mark.parametrize("seed", ["abc", "1.5", -1])
def test_model_rejects_a_seed_that_is_not_a_whole_number(seed):
    with pytest.raises(ConfigError, match="seed: must be"):
        InteractiveSocialCommerceModel(n_consumers=1_000, seed=seed)


def test_on_the_page_bad_controls_make_a_stand_in_that_says_why_and_does_not_run():
    no_platforms = dict.fromkeys(ModelConfig().platforms, False)
    with pytest.raises(ConfigError):
        InteractiveSocialCommerceModel(**SMALL, **no_platforms)
    model = InteractiveSocialCommerceModel(**SMALL, **no_platforms, on_error="show")
    assert "at least one platform must be on" in model.control_error
    assert not model.running
    model.step()
    assert model.step_metrics().empty
    assert InteractiveSocialCommerceModel(**SMALL, on_error="show").control_error is None
    with pytest.raises(ValueError, match="on_error"):
        InteractiveSocialCommerceModel(**SMALL, on_error="ignore")


def test_network_layout_is_a_fixed_sample_of_the_world():
    model = InteractiveSocialCommerceModel(**SMALL)
    layout = model.network_layout
    assert len(layout) == viz.NETWORK_NODES
    assert set(layout) <= set(range(model.world.n_consumers))
    model.step()
    assert model.network_layout is layout  # laid out once per world


def test_parameters_describe_the_controls_with_the_bases_values():
    base = page_config(n_consumers=3_000, seed=11)
    params = page_parameters(base)
    assert params["base"] is base
    assert params["n_consumers"]["value"] == 3_000
    assert [k for k, p in params.items() if isinstance(p, dict) and p["type"] == "Checkbox"] == (
        list(base.platforms)
    )
    rows = base.platforms.values()
    discounts = [p.group_buying.discount for p in rows if p.group_buying.enabled]
    assert len(set(discounts)) > 1  # so that the next line picks one
    assert params["group_discount"]["value"] == max(discounts)
    assert params["kol_commission"]["value"] == max(
        p.livestream.commission for p in rows if p.livestream.enabled
    )
    assert params["feed"]["values"] == list(viz.FEED_CHOICES)
    assert params["seed"]["value"] == "11"
    # every control is a keyword the model takes
    initial = {k: p["value"] if isinstance(p, dict) else p for k, p in params.items()}
    model = InteractiveSocialCommerceModel(**initial)
    assert model.world.n_consumers == 3_000
    assert model.seed == 11


# --------------------------------------------------------------------------- the page


def _render(make_page):
    """Render a page inside an app layout, as Solara's server does, so the sidebar exists."""

    @solara.component
    def App():
        with solara.AppLayout() as layout:
            make_page()
        return layout

    _, rc = solara.render(App(), handle_error=False)
    return rc


def _images(rc) -> list[bytes]:
    return [bytes(w.value) for w in rc.find(widgets.Image).widgets]


def _totals(rc) -> str:
    """The text of the page's totals card (found by its class).

    ``rc.find`` stops at the first match on a branch, and the chart grid is itself a
    template, so this walks every widget trait instead.
    """
    found, seen, todo = [], set(), list(rc.container.children)
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            todo += list(item.values())
        elif isinstance(item, (list, tuple)):
            todo += list(item)
        elif isinstance(item, widgets.Widget) and id(item) not in seen:
            seen.add(id(item))
            if isinstance(item, solara.widgets.HTML) and "socialsim-totals" in str(
                item.attributes.get("class")
            ):
                found.append(item.unsafe_innerHTML)
            todo += [getattr(item, key) for key in item.keys]
    assert len(found) == 1, found
    return found[0]


def test_page_steps_the_model_and_redraws_every_chart():
    model = solara.reactive(InteractiveSocialCommerceModel(**SMALL))
    rc = _render(
        lambda: SolaraViz(model, components=page_components(), model_params=page_parameters())
    )
    before = _images(rc)
    assert len(before) == 4  # GMV, penetration, channels, network
    assert all(image.startswith(b"\x89PNG") for image in before)

    rc.find(v.Btn, children=["Step"]).widget.click()
    assert model.value.steps == 1
    after = _images(rc)
    assert len(after) == 4
    changed = [a != b for a, b in zip(before, after, strict=True)]
    assert changed[:3] == [True, True, True]  # the three time series grew a day
    assert "1 of 90" in _totals(rc)

    rc.find(v.Btn, children=["Step"]).widget.click()
    assert model.value.steps == 2
    assert "2 of 90" in _totals(rc)


def test_page_reset_builds_the_world_the_controls_describe():
    model = solara.reactive(InteractiveSocialCommerceModel(**SMALL))
    rc = _render(
        lambda: SolaraViz(model, components=page_components(), model_params=page_parameters())
    )
    rc.find(v.Btn, children=["Step"]).widget.click()
    first = model.value

    rc.find(v.Slider, label="Consumers").widget.v_model = 1_500
    rc.find(v.Checkbox, label="douyin on").widget.v_model = False
    rc.find(v.Slider, label="Group discount (group-buying platforms)").widget.v_model = 0.4
    rc.find(v.Btn, children=["Reset"]).widget.click()

    rebuilt = model.value
    assert rebuilt is not first
    assert rebuilt.steps == 0
    assert rebuilt.world.n_consumers == 1_500
    assert "douyin" not in rebuilt.config.platforms
    assert rebuilt.config.platforms["pinduoduo"].group_buying.discount == pytest.approx(0.4)
    assert "1,500" in _totals(rc)

    # controls that make no world: the card says why, and the page stays usable
    for name in rebuilt.config.platforms:
        rc.find(v.Checkbox, label=f"{name} on").widget.v_model = False
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert "at least one platform must be on" in _totals(rc)
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert model.value.step_metrics().empty
    rc.find(v.Checkbox, label="kaola on").widget.v_model = True
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert list(model.value.config.platforms) == ["kaola"]
    assert "0 of 90" in _totals(rc)


def test_served_page_starts_from_the_config_file_it_is_given(tmp_path, monkeypatch):
    config = page_config(n_consumers=800, seed=3).with_overrides({"run.steps": 2})
    path = tmp_path / "world.yaml"
    path.write_text(config.to_yaml(), encoding="utf-8")
    monkeypatch.setenv(CONFIG_ENV, str(path))
    rc = _render(Page)
    assert "800" in _totals(rc)
    step = rc.find(v.Btn, children=["Step"])
    step.widget.click()
    step.widget.click()
    assert "2 of 2" in _totals(rc)
    # the run is over: Mesa disables stepping once the model stops
    assert rc.find(v.Btn, children=["Step"]).widget.disabled


def test_network_view_colours_each_drawn_consumer_by_todays_state():
    model = InteractiveSocialCommerceModel(**SMALL)
    layout = model.network_layout
    nodes = np.fromiter(layout, dtype=np.int64)

    def drawn() -> dict[str, int]:
        ax = draw_network_state(model, Figure().subplots())
        return {c.get_label(): len(c.get_offsets()) for c in ax.collections[1:]}

    at_start = drawn()
    for _ in range(15):
        model.step()
    later = drawn()
    status = model.state.status[nodes]
    assert list(later) == ["offline", "online", "customer"]  # every state listed, in order
    for code, name in enumerate(["offline", "online", "customer"]):
        assert later[name] == int(np.sum(status == code))
    assert later["customer"] > at_start["customer"]

"""Mechanisms plug in from outside the package (issue 21, point 5).

The flash sale of tests/plugins/flash_sale.py is registered through an entry
point, as an installed package would offer it: its config section then appears
under its name (validated by its own model, in ``socialsim config``, ``--set``
and sweep designs), a model composes it when enabled, and its metric columns
appear in the step table and the runs table like built-in ones. Registered but
off, it changes nothing, bit for bit.
"""

from __future__ import annotations

import dataclasses
from importlib.metadata import EntryPoint

import numpy as np
import pandas as pd
import pytest
import yaml

from socialsim import ModelConfig, SocialCommerceModel, plugins
from socialsim.cli import main
from socialsim.errors import ConfigError
from socialsim.experiment import load_sweep, run_simulation, run_sweep, write_run
from socialsim.mechanisms.component import Component
from socialsim.model import mechanism_columns
from tests.conftest import TINY_WORLD
from tests.plugins.flash_sale import FlashSale

ENTRY_POINT = EntryPoint(
    name="flash_sale", value="tests.plugins.flash_sale:FlashSale", group=plugins.ENTRY_POINT_GROUP
)
SMALL = {**TINY_WORLD, "population.n_consumers": 1500, "run.steps": 6}


@pytest.fixture
def installed():
    assert plugins.load_entry_points([ENTRY_POINT]) == ["flash_sale"]
    yield
    plugins.unregister("flash_sale")


def test_an_entry_point_adds_a_config_section_under_its_own_name(installed, capsys):
    config = ModelConfig()
    assert config.flash_sale.enabled is False and config.flash_sale.depth == 0.5
    assert "flash_sale" in yaml.safe_load(config.to_yaml())
    on = config.with_overrides({"flash_sale.enabled": True, "flash_sale.depth": 0.3})
    assert (on.flash_sale.enabled, on.flash_sale.depth) == (True, 0.3)
    assert ModelConfig.from_dict(yaml.safe_load(on.to_yaml())) == on  # a file round trip
    with pytest.raises(ConfigError, match=r"flash_sale.depth: input should be less than 1"):
        config.with_overrides({"flash_sale.depth": 2})
    with pytest.raises(ConfigError, match=r"flash_sale.dept: unknown key \(did you mean"):
        config.with_overrides({"flash_sale.dept": 0.2})
    assert main(["config", "--set", "flash_sale.hours=6"]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["flash_sale"]["hours"] == 6.0


def test_off_it_changes_nothing_bit_for_bit(installed):
    config = ModelConfig().with_overrides(SMALL)
    plugins.unregister("flash_sale")
    without = SocialCommerceModel(ModelConfig().with_overrides(SMALL), rng=3)
    without.run()
    plugins.load_entry_points([ENTRY_POINT])
    assert ModelConfig().with_overrides(SMALL).config_hash() == without.config.config_hash()
    with_it = SocialCommerceModel(config, rng=3)
    with_it.run()
    assert with_it.components == []
    pd.testing.assert_frame_equal(with_it.step_metrics(), without.step_metrics(), check_exact=True)


def test_enabled_it_runs_and_records_its_columns(installed):
    on = {"flash_sale.enabled": True, "flash_sale.hours": 24}  # tiny worlds buy little
    config = ModelConfig().with_overrides({**SMALL, **on})
    model = SocialCommerceModel(config, rng=3)
    assert [type(c) for c in model.components] == [FlashSale]
    model.run()
    steps = model.step_metrics()
    assert list(steps.columns[-2:]) == ["flash_sale_orders", "flash_sale_gmv"]
    assert steps["flash_sale_orders"].sum() > 0
    assert (steps["flash_sale_gmv"] <= steps["gmv"]).all()
    # the orders it counts are real orders of the log: its product, on its platform, today
    orders = model.orders()
    last = orders[orders["step"] == model.steps]
    sale = model.components[0]
    hits = last[(last["product"] == sale.product) & (last["platform"].cat.codes == sale.platform)]
    assert len(hits) == steps["flash_sale_orders"].iloc[-1]


def test_a_component_passed_from_python_needs_no_registration():
    config = ModelConfig().with_overrides(SMALL)
    sale = FlashSale.with_config(depth=0.7, hours=24)
    model = SocialCommerceModel(config, rng=3, components=[sale])
    model.run()
    assert model.components[0].config.depth == 0.7
    assert model.step_metrics()["flash_sale_orders"].sum() > 0


class Boycott(FlashSale):
    """Nobody buys on platform 0; the sale's GMV is recorded in worlds over 1,000 consumers."""

    def logit_shift(self, offers):
        return np.where(offers.platform == 0, np.float32(-50), np.float32(0))

    @classmethod
    def columns_for(cls, config):
        return cls.columns if config.population.n_consumers > 1000 else cls.columns[:1]


def test_a_component_shifts_the_conversion_logit_and_chooses_its_columns():
    config = ModelConfig().with_overrides(SMALL)
    plain = SocialCommerceModel(config, rng=3)
    plain.run()
    assert (plain.orders()["platform"].cat.codes == 0).any()
    model = SocialCommerceModel(config, rng=3, components=[Boycott])
    model.run()
    assert not (model.orders()["platform"].cat.codes == 0).any()
    assert len(model.orders()) > 0
    assert list(model.step_metrics().columns[-2:]) == ["flash_sale_orders", "flash_sale_gmv"]
    tiny = ModelConfig().with_overrides(TINY_WORLD)
    assert [c.name for c in mechanism_columns(tiny, [Boycott])][-2:] == [
        "export_gmv",
        "flash_sale_orders",
    ]
    assert SocialCommerceModel(tiny, rng=3, components=[Boycott]).columns[-1].name == (
        "flash_sale_orders"
    )


def test_a_sweep_varies_its_settings_and_keeps_its_columns(installed, tmp_path):
    spec = {
        "name": "flash",
        "seed": 2,
        "steps": 12,
        "base": {
            **TINY_WORLD,
            "population.n_consumers": 1500,
            "flash_sale.enabled": True,
            "flash_sale.hours": 24,
        },
        "design": {"kind": "grid", "parameters": {"flash_sale.depth": [0.2, 0.8]}},
    }
    run_sweep(spec, out=tmp_path / "s", executor="serial", progress=False)
    data = load_sweep(tmp_path / "s")
    assert data.runs["flash_sale.depth"].tolist() == [0.2, 0.8]
    assert data.runs["flash_sale_orders"].sum() == data.steps["flash_sale_orders"].sum() > 0


def test_a_bad_plugin_is_refused_with_its_reason():
    class Nameless(FlashSale):
        name = "population"

    with pytest.raises(plugins.PluginError, match="is a section of the world"):
        plugins.register(Nameless)
    broken = EntryPoint(name="broken", value="tests.plugins.nothing:Here", group="x")
    with pytest.warns(RuntimeWarning, match="the plug-in 'broken'"):
        assert plugins.load_entry_points([broken]) == []


class _Tally(Component):
    """A mechanism with a table of its own: each day's offers."""

    name = "tally"

    def __init__(self, model, config=None, rng=None):
        super().__init__(model, config, rng)
        self.rows = []

    def end_day(self, day):
        self.rows.append({"step": day.step, "offers": day.count["offers"]})

    def tables(self):
        return {self.name: pd.DataFrame(self.rows, columns=["step", "offers"])}


def test_a_mechanisms_own_table_is_returned_and_written(tmp_path):
    model = SocialCommerceModel(ModelConfig().with_overrides(SMALL), rng=3, components=[_Tally])
    model.run()
    table = model.component_tables()["tally"]
    steps = model.step_metrics()
    assert table["step"].tolist() == steps["step"].tolist()
    assert table["offers"].tolist() == steps["offers"].tolist()
    result = run_simulation(ModelConfig().with_overrides(SMALL), seed=3)
    result = dataclasses.replace(result, tables={**result.tables, "tally": table})
    write_run(result, tmp_path)
    assert pd.read_parquet(tmp_path / "tally.parquet").equals(table)


def test_a_mechanism_may_not_take_a_built_in_tables_name():
    class Steps(_Tally):
        name = "steps"

    model = SocialCommerceModel(ModelConfig().with_overrides(SMALL), rng=3, components=[Steps])
    with pytest.raises(RuntimeError, match="names a table 'steps', which is taken"):
        model.component_tables()

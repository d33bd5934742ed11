"""The research figures draw what the data say."""

from __future__ import annotations

import subprocess
import sys

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from scipy import stats

from socialsim import ModelConfig, SocialCommerceModel
from socialsim.analysis.plots import (
    MAX_NETWORK_NODES,
    gini,
    lorenz_curve,
    network_layout,
    plot_channel_mix,
    plot_group_funnel,
    plot_group_sizes,
    plot_livestream_funnel,
    plot_lorenz,
    plot_market_shares,
    plot_network_sample,
    plot_penetration_bands,
    plot_response,
    plot_response_heatmap,
    plot_sensitivity,
    sample_graph,
)
from socialsim.enums import Channel, Source


@pytest.fixture(scope="module")
def run() -> SocialCommerceModel:
    model = SocialCommerceModel(ModelConfig.small(1000), rng=1)
    model.run(10)
    return model


@pytest.fixture(scope="module")
def sweep_steps() -> pd.DataFrame:
    """Three replications' step tables stacked as in a sweep (with run_id)."""
    frames = []
    for seed in (1, 2, 3):
        model = SocialCommerceModel(ModelConfig.small(400), rng=seed)
        model.run(6)
        frames.append(model.step_metrics().assign(run_id=f"r{seed}"))
    return pd.concat(frames, ignore_index=True)


def new_ax():
    return Figure().subplots()


def edges_by_x(collection) -> dict[float, tuple[float, float]]:
    """Lowest and highest y of a filled polygon at each x (the band's two edges)."""
    vertices = collection.get_paths()[0].vertices
    out: dict[float, list[float]] = {}
    for x, y in vertices:
        out.setdefault(round(float(x), 9), []).append(float(y))
    return {x: (min(ys), max(ys)) for x, ys in out.items()}


def t_half_width(values: np.ndarray, level: float) -> float:
    n = len(values)
    return stats.t.ppf(0.5 + level / 2, n - 1) * values.std(ddof=1) / np.sqrt(n)


# --------------------------------------------------------------------------- penetration


def test_penetration_bands_are_mean_plus_minus_t_interval(sweep_steps):
    ax = new_ax()
    assert plot_penetration_bands(sweep_steps, ax, level=0.9) is ax
    assert len(ax.lines) == 6 and len(ax.collections) == 6
    assert [line.get_label() for line in ax.lines] == [f"tier {k}" for k in range(1, 7)]
    assert "mean of 3 runs, 90% CI" in ax.get_title()
    for k in (1, 4):
        column = f"penetration_t{k}"
        per_run = sweep_steps.pivot(index="step", columns="run_id", values=column).to_numpy()
        mean = per_run.mean(axis=1)
        assert np.allclose(ax.lines[k - 1].get_ydata(), mean)
        band = edges_by_x(ax.collections[k - 1])
        for step, row, m in zip(range(1, 7), per_run, mean, strict=True):
            half = t_half_width(row, 0.9)
            assert band[step] == pytest.approx((m - half, m + half))


def test_penetration_bands_of_one_run_are_just_lines(run):
    steps = run.step_metrics()
    ax = plot_penetration_bands(steps)
    assert isinstance(ax.figure, Figure)
    assert len(ax.lines) == 6 and len(ax.collections) == 0
    assert np.allclose(ax.lines[2].get_ydata(), steps["penetration_t3"])


def test_penetration_bands_need_columns_and_a_level(run):
    with pytest.raises(ValueError, match="penetration_t1"):
        plot_penetration_bands(pd.DataFrame({"step": [1]}))
    with pytest.raises(ValueError, match="'step'"):
        plot_penetration_bands(pd.DataFrame({"penetration_t1": [0.1]}))
    with pytest.raises(ValueError, match="level"):
        plot_penetration_bands(run.step_metrics(), level=95)


# --------------------------------------------------------------------------- channel mix


def test_channel_mix_stacks_each_channel_up_to_the_total(run):
    steps = run.step_metrics()
    ax = plot_channel_mix(steps)
    assert ax.get_title() == "GMV by channel"
    assert len(ax.collections) == len(Channel)
    layers = steps[[f"gmv_{c.name.lower()}" for c in Channel]].to_numpy()
    bottom = np.hstack([np.zeros((len(steps), 1)), np.cumsum(layers, axis=1)])
    for k, collection in enumerate(ax.collections):
        band = edges_by_x(collection)
        lows, highs = zip(*(band[s] for s in steps["step"]), strict=True)
        assert np.allclose(lows, bottom[:, k]) and np.allclose(highs, bottom[:, k + 1])
    assert np.allclose(bottom[:, -1], steps["gmv"])  # the stack tops out at GMV


def test_channel_mix_by_source_as_lines_averages_runs(sweep_steps):
    ax = new_ax()
    assert plot_channel_mix(sweep_steps, ax, measure="orders", by="source", stacked=False) is ax
    labels = [line.get_label() for line in ax.lines]
    assert labels[:4] == ["search", "word of mouth", "KOL post", "KOC review"]
    assert len(labels) == len(Source)
    expected = sweep_steps.groupby("step")["orders_word_of_mouth"].mean()
    assert np.allclose(ax.lines[1].get_ydata(), expected)
    assert ax.get_title() == "Orders by source"


def test_channel_mix_rejects_bad_input(run):
    steps = run.step_metrics()
    with pytest.raises(ValueError, match="'gmv_store'"):
        plot_channel_mix(steps.drop(columns="gmv_store"))
    with pytest.raises(ValueError, match="measure"):
        plot_channel_mix(steps, measure="buyers")
    with pytest.raises(ValueError, match="by must be"):
        plot_channel_mix(steps, by="tier")


# --------------------------------------------------------------------------- funnels


def test_group_funnel_bars_are_totals(run, sweep_steps):
    steps = run.step_metrics()
    ax = plot_group_funnel(steps)
    columns = ["groups_started", "groups_completed", "groups_expired"]
    assert [p.get_height() for p in ax.patches] == steps[columns].sum().tolist()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["started", "completed", "expired"]
    # several runs: the mean of each run's total
    ax = plot_group_funnel(sweep_steps)
    per_run = sweep_steps.groupby("run_id")[columns].sum().mean()
    assert np.allclose([p.get_height() for p in ax.patches], per_run)
    with pytest.raises(ValueError, match="'groups_expired'"):
        plot_group_funnel(steps.drop(columns="groups_expired"))


def test_group_sizes_bars(run):
    sizes = pd.Series([5, 2, 1], index=pd.Index([4, 2, 3], name="members"), name="groups")
    ax = new_ax()
    assert plot_group_sizes(sizes, ax) is ax
    centres = [p.get_x() + p.get_width() / 2 for p in ax.patches]
    assert centres == pytest.approx([2, 3, 4])
    assert [p.get_height() for p in ax.patches] == [2, 1, 5]
    real = run.group_sizes()
    heights = [p.get_height() for p in plot_group_sizes(real).patches]
    assert heights == real.sort_index().tolist()
    with pytest.raises(TypeError, match="Series"):
        plot_group_sizes(real.to_frame())


def test_livestream_funnel_uses_total_returns_without_an_order_log(run):
    steps = run.step_metrics()
    ax = plot_livestream_funnel(steps)
    expected = steps[["livestream_viewers", "orders_livestream", "returns"]].sum().tolist()
    assert [p.get_height() for p in ax.patches] == expected
    assert ax.get_xticklabels()[2].get_text() == "returns (all channels)"
    assert ax.patches[2].get_hatch() == "//"


def test_livestream_funnel_counts_livestream_returns_from_the_order_log():
    steps = pd.DataFrame({"livestream_viewers": [40, 60], "orders_livestream": [3, 2]})
    orders = pd.DataFrame(
        {
            "channel": pd.Categorical(["livestream", "livestream", "solo", "livestream"]),
            "returned": [True, False, True, True],
        }
    )
    ax = plot_livestream_funnel(steps, orders=orders)
    assert [p.get_height() for p in ax.patches] == [100, 5, 2]
    assert ax.get_xticklabels()[2].get_text() == "returned"
    with pytest.raises(ValueError, match="'returns'"):
        plot_livestream_funnel(steps)
    with pytest.raises(ValueError, match="'returned'"):
        plot_livestream_funnel(steps, orders=orders.drop(columns="returned"))


# --------------------------------------------------------------------------- inequality


def test_gini_known_values():
    assert gini(np.full(7, 3.0)) == pytest.approx(0.0)
    for n in (2, 5, 10):
        values = np.zeros(n)
        values[-1] = 9.0
        assert gini(values) == pytest.approx((n - 1) / n)
    assert gini([1, 2, 3, 4]) == pytest.approx(0.25)  # by hand: sum |xi - xj| = 20, 2 n^2 mean = 80
    assert gini([3, 1]) == pytest.approx(0.25)  # |3 - 1| * 2 / (2 * 4 * 2)


def test_gini_equals_mean_absolute_difference_and_lorenz_area():
    values = np.random.default_rng(0).lognormal(size=50)
    mad = np.abs(values[:, None] - values[None, :]).sum() / (2 * values.size**2 * values.mean())
    assert gini(values) == pytest.approx(mad)
    x, y = lorenz_curve(values)
    area = np.sum((y[1:] + y[:-1]) / 2 * np.diff(x))
    assert gini(values) == pytest.approx(1 - 2 * area)


def test_lorenz_curve_values_and_errors():
    x, y = lorenz_curve([4, 0, 6])
    assert np.allclose(x, [0, 1 / 3, 2 / 3, 1])
    assert np.allclose(y, [0, 0, 0.4, 1])
    for bad, match in (([], "non-empty"), ([1, -1], ">= 0"), ([0, 0], "sum to 0")):
        with pytest.raises(ValueError, match=match):
            lorenz_curve(bad)
        with pytest.raises(ValueError, match=match):
            gini(bad)
    with pytest.raises(ValueError, match="finite"):
        gini([1.0, np.nan])


def test_plot_lorenz_draws_one_curve_per_group(run):
    kols = run.kol_income()["income"]
    owners = run.store_owners()
    stores = owners["income_selling"] + owners["income_recruiting"]
    ax = new_ax()
    assert plot_lorenz({"KOLs": kols, "store owners": stores}, ax) is ax
    assert len(ax.lines) == 3
    assert np.allclose(ax.lines[0].get_ydata(), [0, 1])  # equality
    for line, values, name in ((ax.lines[1], kols, "KOLs"), (ax.lines[2], stores, "store owners")):
        x, y = lorenz_curve(values)
        assert np.allclose(line.get_xdata(), x) and np.allclose(line.get_ydata(), y)
        assert line.get_label() == f"{name} (Gini {gini(values):.2f})"
    with pytest.raises(ValueError, match="group 'none'"):
        plot_lorenz({"none": [0, 0]})
    with pytest.raises(ValueError, match="at least one"):
        plot_lorenz({})


# --------------------------------------------------------------------------- market shares


def test_market_shares_stack_to_one(run):
    platforms = run.platform_metrics()
    ax = plot_market_shares(platforms, measure="orders")
    names = list(platforms["platform"].cat.categories)
    assert [c.get_label() for c in ax.collections] == names
    totals = platforms.groupby("step")["orders"].sum()
    steps = totals.index[totals > 0]
    tops = edges_by_x(ax.collections[-1])
    assert sorted(tops) == list(steps)  # steps without orders are left out
    assert all(tops[s][1] == pytest.approx(1.0) for s in steps)
    # the second layer's thickness is the second platform's share
    second = platforms[platforms["platform"] == names[1]].set_index("step")["orders"]
    first = platforms[platforms["platform"] == names[0]].set_index("step")["orders"]
    band = edges_by_x(ax.collections[1])
    for s in steps:
        assert band[s][0] == pytest.approx(first[s] / totals[s])
        assert band[s][1] - band[s][0] == pytest.approx(second[s] / totals[s])


def test_market_shares_pool_runs_and_check_columns():
    platforms = pd.DataFrame(
        {
            "run_id": ["a", "a", "b", "b"],
            "step": [1, 1, 1, 1],
            "platform": ["x", "y", "x", "y"],
            "users": [1, 3, 3, 3],
        }
    )
    ax = new_ax()
    assert plot_market_shares(platforms, ax, measure="users") is ax
    assert edges_by_x(ax.collections[0])[1] == pytest.approx((0.0, 0.4))  # 4 of 10 users
    with pytest.raises(ValueError, match="'gmv'"):
        plot_market_shares(platforms)
    with pytest.raises(ValueError, match="measure"):
        plot_market_shares(platforms, measure="price")


# --------------------------------------------------------------------------- network


def test_sample_graph_snowball_and_random(run):
    graph = run.graph
    snowball = sample_graph(graph, 150, seed=3)
    assert snowball.number_of_nodes() == 150
    assert set(snowball.edges) == set(graph.subgraph(snowball.nodes).edges)  # induced
    assert snowball.nodes[next(iter(snowball))]["tier"] >= 1  # attributes kept
    assert nx.utils.graphs_equal(snowball, sample_graph(graph, 150, seed=3))
    assert set(snowball) != set(sample_graph(graph, 150, seed=4))
    # breadth-first from one start: few components; random nodes: many isolated
    random = sample_graph(graph, 150, seed=3, method="random")
    assert nx.number_connected_components(snowball) < nx.number_connected_components(random)
    assert sample_graph(nx.path_graph(5), 10).number_of_nodes() == 5
    with pytest.raises(ValueError, match="method"):
        sample_graph(graph, 10, method="walk")


def test_network_sample_draws_the_sample_coloured_by_tier(run):
    graph = run.graph
    ax = new_ax()
    assert plot_network_sample(graph, ax, n=120, seed=5) is ax
    sub = sample_graph(graph, 120, seed=5)
    edges, *nodes = ax.collections
    assert isinstance(edges, LineCollection)
    assert len(edges.get_segments()) == sub.number_of_edges()
    assert sum(len(c.get_offsets()) for c in nodes) == 120
    tiers = sorted({sub.nodes[v]["tier"] for v in sub})
    assert [c.get_label() for c in nodes] == [f"tier {t}" for t in tiers]
    per_tier = pd.Series([sub.nodes[v]["tier"] for v in sub]).value_counts()
    assert [len(c.get_offsets()) for c in nodes] == [per_tier[t] for t in tiers]


def test_network_sample_continuous_colours_and_limits(run):
    graph = run.graph
    values = np.arange(graph.number_of_nodes(), dtype=float)
    ax = plot_network_sample(graph, color_by=values, n=50)
    assert len(ax.collections) == 2 and len(ax.figure.axes) == 2  # one scatter and a colour bar
    sub = sample_graph(graph, 50, seed=0)
    assert np.allclose(np.sort(ax.collections[1].get_array()), np.sort(list(sub.nodes)))
    with pytest.raises(ValueError, match=f"at most {MAX_NETWORK_NODES:,} nodes"):
        plot_network_sample(graph, n=MAX_NETWORK_NODES + 1)
    with pytest.raises(ValueError, match="no attribute 'income'"):
        plot_network_sample(graph, color_by="income", n=10)
    with pytest.raises(ValueError, match="one value per node"):
        plot_network_sample(graph, color_by=values[:10], n=10)


def test_network_sample_redraws_on_a_given_layout_with_a_fixed_palette(run):
    graph = run.graph
    layout = network_layout(graph, 80, seed=2)
    assert len(layout) == 80
    # the same positions on every redraw, whatever the colouring
    first = plot_network_sample(graph, color_by="tier", layout=layout)
    second = plot_network_sample(graph, color_by=None, layout=layout)
    expected = np.array([layout[v] for v in layout])
    assert np.allclose(np.concatenate([c.get_offsets() for c in second.collections[1:]]), expected)
    assert sum(len(c.get_offsets()) for c in first.collections[1:]) == 80
    # a palette fixes the legend's order and colours, listing values no node has now
    nodes = list(layout)
    state = {v: ("a" if i % 3 else "b") for i, v in enumerate(nodes)}
    palette = {"c": "red", "b": "green", "a": "blue"}
    ax = plot_network_sample(graph, color_by=state, layout=layout, palette=palette)
    scatters = ax.collections[1:]
    assert [c.get_label() for c in scatters] == ["c", "b", "a"]
    assert [len(c.get_offsets()) for c in scatters] == [
        0,
        sum(1 for i in range(80) if i % 3 == 0),
        sum(1 for i in range(80) if i % 3),
    ]
    assert np.allclose(scatters[1].get_facecolor()[0], to_rgba("green"))
    with pytest.raises(ValueError, match=r"palette has no colour for \['b'\]"):
        plot_network_sample(graph, color_by=state, layout=layout, palette={"a": "blue"})


# --------------------------------------------------------------------------- sweeps


@pytest.fixture
def runs() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for x in (0.1, 0.2, 0.4):
        for y in (2, 3):
            for replication in range(4):
                rows.append(
                    {
                        "point": f"{x}-{y}",
                        "replication": replication,
                        "status": "ok",
                        "platforms.pdd.discount": x,
                        "platforms.pdd.group_size": y,
                        "gmv": 100 * x + y + rng.normal(),
                    }
                )
    rows.append({**rows[0], "status": "failed", "gmv": 1e9})
    return pd.DataFrame(rows)


def test_response_curve_is_mean_with_t_band(runs):
    ax = new_ax()
    assert plot_response(runs, "platforms.pdd.discount", "gmv", ax, level=0.95) is ax
    ok = runs[runs["status"] == "ok"]
    x = [0.1, 0.2, 0.4]
    groups = [ok.loc[ok["platforms.pdd.discount"] == v, "gmv"].to_numpy() for v in x]
    means = [g.mean() for g in groups]  # the failed run's 1e9 is left out
    assert np.allclose(ax.lines[0].get_xdata(), x)
    assert np.allclose(ax.lines[0].get_ydata(), means)
    band = edges_by_x(ax.collections[0])
    for v, g, m in zip(x, groups, means, strict=True):
        half = t_half_width(g, 0.95)
        assert band[round(v, 9)] == pytest.approx((m - half, m + half))
    with pytest.raises(ValueError, match="'orders'"):
        plot_response(runs, "platforms.pdd.discount", "orders")


def test_response_heatmap_is_the_pivot_of_means(runs):
    ax = plot_response_heatmap(runs, "platforms.pdd.discount", "platforms.pdd.group_size", "gmv")
    ok = runs[runs["status"] == "ok"]
    expected = ok.pivot_table(
        index="platforms.pdd.group_size", columns="platforms.pdd.discount", values="gmv"
    )
    assert len(ax.images) == 1
    assert np.allclose(ax.images[0].get_array(), expected.to_numpy())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.1", "0.2", "0.4"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["2", "3"]
    assert len(ax.figure.axes) == 2  # the colour bar
    assert ax.figure.axes[1].get_ylabel() == "gmv"
    with pytest.raises(ValueError, match="'nope'"):
        plot_response_heatmap(runs, "nope", "platforms.pdd.group_size", "gmv")


def test_response_heatmap_cells_say_their_n_and_interval_half_width(runs):
    x, y = "platforms.pdd.discount", "platforms.pdd.group_size"
    # one cell with a single run (no interval) and one whose values spread 100,000-fold wider
    runs = runs.drop(runs.index[(runs[x] == 0.4) & (runs[y] == 3)][1:])
    wide = (runs[x] == 0.2) & (runs[y] == 2)
    runs.loc[wide, "gmv"] = runs.loc[wide, "gmv"] * 1e5
    ax = plot_response_heatmap(runs, x, y, "gmv")
    texts = {(round(t.get_position()[0]), round(t.get_position()[1])): t for t in ax.texts}
    assert len(texts) == 6  # one per cell, at the cell's centre
    ok = runs[runs["status"] == "ok"]
    for (j, i), text in texts.items():
        values = ok[(ok[x] == (0.1, 0.2, 0.4)[j]) & (ok[y] == (2, 3)[i])]["gmv"]
        lines = text.get_text().split("\n")
        assert lines[0] == f"n={len(values)}"
        if len(values) == 1:
            assert lines == ["n=1"]
            continue
        half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
        shown = float(lines[1].removeprefix("±"))
        assert shown == pytest.approx(half, rel=0.05)  # two or three significant digits
    assert "e" in texts[(1, 0)].get_text()  # a wide interval in powers of ten: ±1.2e4
    bare = plot_response_heatmap(runs, x, y, "gmv", annotate=False)
    assert len(bare.texts) == 0


# --------------------------------------------------------------------------- sensitivity


def bar_containers(ax) -> list[BarContainer]:
    return [c for c in ax.containers if isinstance(c, BarContainer)]


def error_spans(container) -> list[tuple[float, float]]:
    segments = container.errorbar.lines[2][0].get_segments()
    return [(s[0][1], s[1][1]) for s in segments]


def test_sobol_bars_with_confidence_intervals():
    indices = pd.DataFrame(
        {
            "parameter": ["a", "b"],
            "S1": [0.5, 0.1],
            "S1_low": [0.4, -0.05],
            "S1_high": [0.6, 0.2],
            "ST": [0.7, 0.2],
            "ST_low": [0.6, 0.1],
            "ST_high": [0.9, 0.3],
        }
    )
    ax = new_ax()
    assert plot_sensitivity(indices, ax) is ax
    s1, st = bar_containers(ax)
    assert [p.get_height() for p in s1] == [0.5, 0.1]
    assert [p.get_height() for p in st] == [0.7, 0.2]
    assert np.allclose(error_spans(s1), [(0.4, 0.6), (-0.05, 0.2)])
    assert np.allclose(error_spans(st), [(0.6, 0.9), (0.1, 0.3)])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["first order (S1)", "total (ST)"]
    with pytest.raises(ValueError, match="'ST_high'"):
        plot_sensitivity(indices.drop(columns="ST_high"))


def test_morris_bars_with_confidence_intervals():
    indices = pd.DataFrame(
        {
            "parameter": ["a", "b", "c"],
            "mu_star": [3.0, 1.0, 0.2],
            "mu_star_low": [2.0, 0.5, 0.0],
            "mu_star_high": [4.0, 1.5, 0.5],
            "sigma": [1.0, 2.0, 0.1],
        }
    )
    ax = plot_sensitivity(indices, kind="morris")
    (bars,) = bar_containers(ax)
    assert [p.get_height() for p in bars] == [3.0, 1.0, 0.2]
    assert np.allclose(error_spans(bars), [(2.0, 4.0), (0.5, 1.5), (0.0, 0.5)])
    with pytest.raises(ValueError, match="kind"):
        plot_sensitivity(indices, kind="fast")
    with pytest.raises(ValueError, match="'mu_star_low'"):
        plot_sensitivity(indices.drop(columns="mu_star_low"), kind="morris")


def test_plots_never_import_pyplot():
    code = (
        "import sys, networkx as nx, pandas as pd\n"
        "from socialsim.analysis import plots\n"
        "plots.plot_network_sample(nx.karate_club_graph(), color_by='club', n=20)\n"
        "plots.plot_group_sizes(pd.Series([1], index=[2]))\n"
        "print('matplotlib.pyplot' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

"""The dashboard draws what the metrics say."""

from __future__ import annotations

import numpy as np
import pytest

from socialsim.analysis import plot_dashboard, plot_orders_by, save_dashboard
from socialsim.enums import Source
from socialsim.metrics import CHANNELS_IN_USE


def test_dashboard_panels_show_the_data(small_run, tmp_path):
    steps = small_run.step_metrics()
    fig = plot_dashboard(steps, title="t")
    gmv, penetration, channel, source = fig.axes[:4]
    assert np.allclose(gmv.lines[0].get_ydata(), steps["gmv"])
    assert len(penetration.lines) == 6
    assert np.allclose(penetration.lines[5].get_ydata(), steps["penetration_t6"])
    labels = [t.get_text() for t in source.get_legend().get_texts()]
    assert labels[:4] == ["search", "word of mouth", "KOL post", "KOC review"]
    assert labels[4:] == [s.name.lower().replace("_", " ") for s in list(Source)[4:]]
    channels = [t.get_text() for t in channel.get_legend().get_texts()]
    assert channels == [c.name.lower() for c in CHANNELS_IN_USE]
    path = tmp_path / "d.png"
    save_dashboard(steps, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_orders_by_rejects_unknown_split(small_run):
    from matplotlib.figure import Figure

    with pytest.raises(ValueError, match="channel' or 'source"):
        plot_orders_by(small_run.step_metrics(), Figure().subplots(), by="tier")


def test_model_does_not_import_matplotlib():
    import subprocess
    import sys

    code = (
        "import sys, socialsim; socialsim.SocialCommerceModel; print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

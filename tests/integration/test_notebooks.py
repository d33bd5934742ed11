"""The notebooks in notebooks/: each runs top to bottom, and each is stored without outputs.

The notebooks run in a kernel of this interpreter (a kernel spec written for
the test, so a ``python3`` kernel installed elsewhere cannot be picked up), with
``MPLBACKEND=Agg`` in its environment; the notebooks select the inline backend
themselves, so their figures still come back as PNG outputs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from ipykernel.kernelspec import write_kernel_spec
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

import socialsim

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
KERNEL = "socialsim-notebook-test"

# text each notebook must print (stream or plain-text results), and figures it must show
EXPECTED = {
    "01_quickstart": (["Consumer(index=17", "penetration_t1", "solo", "penetration_by_tier"], 1),
    "02_strategy_comparison": (["15 runs done, 0 failed", "excludes_0", "discount"], 2),
    "03_sensitivity": (["80 runs done, 0 failed", "S1_low", "ST_high", "budget_share"], 2),
    "04_network_exploration": (["tier assortativity", "average clustering", "reach_2_hops"], 3),
    "05_extending": (
        ["['flash_sale_orders', 'flash_sale_gmv']", "flash-sale orders", "['FlashSale']"],
        1,
    ),
}

# appended to each notebook while it runs: which interpreter and which socialsim it used
PROBE = "import sys, socialsim\nprint('PROBE', sys.executable, socialsim.__file__, sep='|')"


@pytest.fixture(scope="module")
def kernel_specs(tmp_path_factory: pytest.TempPathFactory) -> KernelSpecManager:
    kernels = tmp_path_factory.mktemp("kernels")
    write_kernel_spec(
        kernels / KERNEL,
        overrides={
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "socialsim tests",
            "env": {"MPLBACKEND": "Agg"},
        },
    )
    return KernelSpecManager(kernel_dirs=[str(kernels)])


def _texts(nb: nbformat.NotebookNode) -> list[str]:
    texts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output["output_type"] == "stream":
                texts.append(output["text"])
            elif "data" in output and "text/plain" in output["data"]:
                texts.append(output["data"]["text/plain"])
    return texts


def _figures(nb: nbformat.NotebookNode) -> int:
    return sum(
        "image/png" in output.get("data", {})
        for cell in nb.cells
        for output in cell.get("outputs", [])
    )


def test_the_four_notebooks_are_there():
    assert [p.stem for p in PATHS] == sorted(EXPECTED)


# 03_sensitivity runs an 80-run Sobol sweep (about 25 s): kept with the slow tests
SLOW = {"03_sensitivity"}
RUNS = [pytest.param(p, marks=pytest.mark.slow) if p.stem in SLOW else p for p in PATHS]


@pytest.mark.parametrize("path", RUNS, ids=[p.stem for p in PATHS])
def test_notebook_runs(path: Path, tmp_path: Path, kernel_specs: KernelSpecManager):
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    km = KernelManager(kernel_name=KERNEL, kernel_spec_manager=kernel_specs)
    client = NotebookClient(
        nb, km=km, timeout=300, kernel_name=KERNEL, resources={"metadata": {"path": str(tmp_path)}}
    )
    try:
        client.execute()  # raises CellExecutionError, with the cell and traceback, if a cell fails
    finally:
        # the client does not stop a kernel it was handed: stop it here, even on a failure
        if km.has_kernel:
            km.shutdown_kernel(now=True)

    texts = _texts(nb)
    probe = [t for t in texts if t.startswith("PROBE|")]
    assert probe, "the probe cell printed nothing"
    executable, package = probe[0].strip().split("|")[1:]
    assert Path(executable) == Path(sys.executable)
    assert Path(package) == Path(socialsim.__file__)

    errors = [o for c in nb.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors
    strings, figures = EXPECTED.get(path.stem, ([], 0))
    joined = "\n".join(texts)
    missing = [s for s in strings if s not in joined]
    assert not missing, f"{path.name} printed none of {missing}"
    assert _figures(nb) >= figures, f"{path.name} showed {_figures(nb)} figures, want {figures}"
    # the run leaves nothing behind in its working directory
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_is_stored_clean(path: Path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {i} has outputs"
            assert cell.execution_count is None, f"{path.name} cell {i} has an execution count"
    assert set(nb.metadata) <= {"kernelspec", "language_info"}, sorted(nb.metadata)

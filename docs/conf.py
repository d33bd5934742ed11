"""Sphinx configuration of socialsim's documentation.

Build it from the repository root (warnings are errors, as in CI)::

    pip install -e ".[docs]"
    sphinx-build -W --keep-going -b html docs docs/_build/html

The config reference, the command-line reference and the API pages are
generated at build time (``_ext/socialsim_docs.py``) from the config schema,
the argument parser and the modules' ``__all__``, into ``docs/_generated/``.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent))  # the checkout's socialsim, installed or not

from socialsim import __version__  # noqa: E402

project = "socialsim"
author = "socialsim developers"
copyright = "socialsim developers"
release = __version__
version = __version__

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
    "socialsim_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_generated", "**/.ipynb_checkpoints"]

myst_enable_extensions = ["deflist", "colon_fence"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
autodoc_default_options = {"show-inheritance": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# A References section may list sources that its text does not cite one by one.
suppress_warnings = ["ref.citation"]


smartquotes = False  # "--help" and quotes stay as written

html_theme = "furo"
html_title = f"socialsim {version}"
html_static_path: list[str] = []

"""Sphinx configuration for the skgiant documentation.

Build (from the repository root)::

    pip install -e ".[doc]"
    sphinx-build -W -b html doc doc/_build/html

The gallery runs every ``examples/plot_*.py`` script with one BLAS thread.
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import skgiant  # noqa: E402

project = "skgiant"
author = "skgiant developers"
copyright = "2026, skgiant developers"
release = skgiant.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py", "**.zip"]
templates_path = ["_templates"]

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

intersphinx_mapping = {}  # offline build: no inventories are fetched

html_theme = "pydata_sphinx_theme"
html_title = f"skgiant {release}"
html_theme_options = {"navigation_with_keys": False}

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "reset_modules": ("matplotlib",),
    "show_memory": False,
    "backreferences_dir": None,
}

myst_heading_anchors = 3
suppress_warnings = ["myst.header"]

# Methods inherited from scikit-learn (score, set_output, set_*_request, ...) keep their
# docstrings, which refer to labels of scikit-learn's own documentation. The build is
# offline (no intersphinx inventory), so those labels are resolved to scikit-learn's
# pages here; any other unresolved reference still fails the -W build.
_SKLEARN = "https://scikit-learn.org/stable/"
_SKLEARN_LABELS = {
    "r2_score": "modules/model_evaluation.html#r2-score",
    "metadata_routing": "metadata_routing.html",
    "meta-estimator": "glossary.html#term-meta-estimator",
    "df_output_transform": "auto_examples/miscellaneous/plot_set_output.html",
    "sphx_glr_auto_examples_miscellaneous_plot_set_output.py": (
        "auto_examples/miscellaneous/plot_set_output.html"
    ),
}


def _sklearn_reference(app, env, node, contnode):
    from docutils import nodes

    target = node.get("reftarget", "")
    if node.get("refdomain") != "std" or target not in _SKLEARN_LABELS:
        return None
    text = contnode.astext() if contnode is not None else target
    return nodes.reference(text, text, refuri=_SKLEARN + _SKLEARN_LABELS[target], internal=False)


def setup(app):
    app.connect("missing-reference", _sklearn_reference)

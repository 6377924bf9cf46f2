"""docs/architecture.md names real places: every path it gives exists in the tree."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
#: A backticked path of ours: a top-level package or folder, then at least one more part.
PATH = re.compile(
    r"`((?:rollcall|rollcall_cli|rollcall_tools|services|gateway|tests|bench|infra|docs)"
    r"/[\w./-]*)`"
)
#: A backticked module of a service given on its own (``admission.py``) in the "where" table.
SIBLING = re.compile(r"`(\w+\.py)`")


def test_every_path_in_the_architecture_doc_exists():
    text = (ROOT / "docs/architecture.md").read_text()
    paths = PATH.findall(text)
    assert len(paths) > 40
    missing = [p for p in paths if not (ROOT / p.rstrip("/")).exists()]
    assert missing == []


def test_every_module_named_beside_a_path_exists_in_its_folder():
    text = (ROOT / "docs/architecture.md").read_text()
    missing = []
    for line in text.splitlines():
        first = PATH.search(line)
        if not first or not line.startswith("|"):
            continue
        folder = ROOT / first.group(1)
        folder = folder if folder.is_dir() else folder.parent
        for name in SIBLING.findall(line):
            if not any(folder.rglob(name)):
                missing.append(f"{name} near {first.group(1)}")
    assert missing == []

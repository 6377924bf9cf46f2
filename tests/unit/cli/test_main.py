"""The ``rollcall`` command's entry point."""

from __future__ import annotations

import subprocess
import sys


def test_commands_print_no_eventlet_deprecation_banner():
    # The entry module is imported first; eventlet (nameko's) is imported after it.
    code = "import rollcall_cli.main, eventlet"
    done = subprocess.run(
        [sys.executable, "-W", "default", "-c", code], capture_output=True, text=True, check=True
    )
    assert "Eventlet is deprecated" not in done.stderr
    assert done.stderr == ""

"""The ``rollcall`` command line: the outermost shell.

The CLI is the one part of the ``rollcall`` package allowed to reach into
``services.*``: it is a client of the services (over RPC) and a runner of their
pure batch code (counting, matching, loading a register). The rest of the
kernel never imports a service; ``tests/unit/kernel/test_layering.py`` checks it.
"""

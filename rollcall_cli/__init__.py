"""The ``rollcall`` command line and the demo: the outermost shell.

The shell may import anything: it is a client of the services (over RPC) and a
runner of their pure batch code (counting, matching, loading a register).
Nothing imports the shell. The import contracts in ``pyproject.toml``
(``[tool.importlinter]``, run by ``make lint``) hold these lines.
"""

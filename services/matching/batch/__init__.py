"""Matching in bulk: whole files, and registers into the matching database.

This package is the I/O around the pure matcher (``services.matching.matcher``):

- file runs (``rollcall match``, ``bench/match.py``): ``files`` is the entry point;
  ``reading`` reads the extract and the register, ``districts`` shares postcode
  districts between worker processes, ``worker`` is one worker's run,
  ``processes`` forks the workers and relays what they swap, ``merging`` writes
  the output with one member per elector over the whole file;
- registers in the database: ``loading`` loads a register file as a new version,
  ``checking`` says which rows it takes, ``copying`` parses and COPYs in several
  processes on PostgreSQL, ``partitions`` gives each version its own partition;
- ``source``: candidates for the service, from the newest complete register
  versions in the database.

Stable API (what the service, the CLI, the demo and the benchmarks call):

``files.match_files(register, members, out, chunk=, model=, evidence=, progress=, workers=)``
    -> ``files.MatchRun``; writes the decisions CSV (and evidence JSON lines).
``reading.read_members(path)``
    -> ``list[Member]`` of an extract file.
``loading.load_register(engine, path, authority, label=, batch=, workers=, progress=)``
    -> ``loading.LoadSummary``; raises ``loading.RegisterFileInvalid`` for a file that
    cannot be a register. ``loading.list_versions(engine)`` lists what was loaded.
``source.DatabaseSource(engine)``
    A candidate source for ``matcher.deciding.Matcher``.
"""

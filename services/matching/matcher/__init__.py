"""The matcher: members against the electoral register, as pure code.

This package owns the matching rules and nothing else: how names and addresses
are read and compared (``names``, ``addresses``), the two records and their
blocking keys (``records``), where candidates come from (``candidates``), the
model's numbers (``probabilities``), the scoring (``scoring``), the decision
(``deciding``) and its words (``explaining``). It does no I/O but read its
nickname table (``nicknames.csv``, on first use), and it imports no tables, no
batch machinery, no service code, SQLAlchemy or nameko (an import contract in
``make lint`` holds this), so the service, the file runs and the tests all run
the same rules.

Stable API (what the service, ``batch`` and the CLI call):

``records.Member.from_row(row)``, ``records.Elector.from_row(row, version)``
    Records from an extract row and a register row (columns in ``rollcall.formats``).
``records.member_keys(member)``, ``records.elector_keys(name, address)``
    The blocking keys that pair them, the same in memory and in the database.
``candidates.MemoryIndex.from_rows(rows, version="label", keep_for=members)``
    An in-memory candidate source over register rows. With ``keep_for`` it keeps
    only electors that could be a candidate for those members, so a 5.5M-elector
    register fits in memory. ``candidates.CandidateSource`` is what any source
    (``services.matching.batch.source.DatabaseSource`` too) provides.
``deciding.Matcher(source, model=Model()).match(members, taken=frozenset())``
``deciding.match_members(members, source, taken=frozenset(), model=None)``
    -> ``list[deciding.Decision]``, one per member, in the members' order.
``deciding.contested_claims``, ``deciding.contested_reasons``
    One member per elector over matches made apart (chunks, workers).
``probabilities.Model``, ``probabilities.NameFrequencies``
    The model's probabilities and thresholds; the register's name counts.
``names.parse_name``, ``addresses.parse_address``, ``addresses.normalise_postcode``,
``addresses.outward``
    The parsers the register loader and the file runs share with the matcher.
"""

"""Builders of test data, in one place, one module a kind of data.

- ``ballots``: ballot definitions and membership extract rows;
- ``registers``: registers, members and indexes for the matcher;
- ``counting``: hypothesis strategies for ballots to count, and where the real elections are.
"""

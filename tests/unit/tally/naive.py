"""Slow, obviously-correct reference counts, written from docs/counting.md.

Nothing here is shared with the engine: every ballot is expanded into single
papers, each paper is walked one at a time and all arithmetic is exact
``Fraction`` arithmetic with the truncation the rules ask for spelled out.
Each function returns ``(winners, stages)`` where a stage is
``(action, subject, totals, exhausted)`` with totals as Fractions of a vote.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from fractions import Fraction

ORDER_STV = "order of election and of surplus transfer (rule 49)"
EXCLUDE_STV = "exclusion (rule 51)"
LAST_STV = "order of election (rule 52)"
ORDER = "order of election"
EXCLUDE = "exclusion"


def lot(seed, stage, purpose, names):
    names = sorted(names)
    text = "\x1f".join([seed, str(stage), purpose] + names)
    number = int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16)
    return names[number % len(names)]


class Ties:
    """Look back through every earlier stage, most recent first; then lot."""

    def __init__(self, seed):
        self.seed = seed
        self.stages = []

    def pick(self, tied, purpose, lowest):
        tied = sorted(tied)
        for earlier in reversed(self.stages[:-1]):
            if len(tied) == 1:
                break
            values = [earlier[c] for c in tied]
            if len(set(values)) > 1:
                want = min(values) if lowest else max(values)
                tied = [c for c in tied if earlier[c] == want]
        if len(tied) == 1:
            return tied[0]
        return lot(self.seed, len(self.stages), purpose, tied)

    def rank(self, names, totals, purpose):
        left, out = list(names), []
        while left:
            top = max(totals[c] for c in left)
            chosen = self.pick([c for c in left if totals[c] == top], purpose, lowest=False)
            out.append(chosen)
            left.remove(chosen)
        return out


def papers_of(ballots):
    return [list(prefs) for prefs, weight in ballots for _ in range(weight) if prefs]


def floor_to(x, places):
    scale = 10**places
    return Fraction(math.floor(x * scale), scale)


def ceil_to(x, places):
    scale = 10**places
    return Fraction(math.ceil(x * scale), scale)


def marks(candidates, ballots, seats, seed, max_marks):
    tally = Counter({c: 0 for c in candidates})
    for prefs, weight in ballots:
        if prefs and (max_marks is None or len(prefs) <= max_marks):
            for c in prefs:
                tally[c] += weight
    ties = Ties(seed)
    totals = {c: Fraction(tally[c]) for c in candidates}
    ties.stages.append(totals)
    winners = []
    left = list(candidates)
    while left and len(winners) < seats:
        top = max(totals[c] for c in left)
        chosen = ties.pick([c for c in left if totals[c] == top], ORDER, lowest=False)
        winners.append(chosen)
        left.remove(chosen)
    return winners, [("count", None, totals, Fraction(0))]


def irv(candidates, ballots, seed):
    papers = [{"prefs": p, "at": 0} for p in papers_of(ballots)]
    continuing = set(candidates)
    ties = Ties(seed)
    stages = []
    action, subject = "first preferences", None
    while True:
        totals = {c: Fraction(0) for c in candidates}
        exhausted = 0
        for paper in papers:
            while (
                paper["at"] < len(paper["prefs"]) and paper["prefs"][paper["at"]] not in continuing
            ):
                paper["at"] += 1
            if paper["at"] < len(paper["prefs"]):
                totals[paper["prefs"][paper["at"]]] += 1
            else:
                exhausted += 1
        ties.stages.append(totals)
        stages.append((action, subject, totals, Fraction(exhausted)))
        active = sum(totals[c] for c in continuing)
        for c in continuing:
            if totals[c] * 2 > active or len(continuing) == 1:
                return [c], stages
        low = min(totals[c] for c in continuing)
        out = ties.pick([c for c in continuing if totals[c] == low], EXCLUDE, lowest=True)
        continuing.remove(out)
        action, subject = "exclusion", out


def stv(candidates, ballots, seats, seed):
    """Scottish STV, rules 45-52, one paper at a time."""
    papers = [{"prefs": p, "at": 0, "value": Fraction(1)} for p in papers_of(ballots)]
    quota = Fraction(len(papers) // (seats + 1) + 1)
    continuing = list(candidates)
    kept = {}
    winners, pending = [], []
    ties = Ties(seed)
    stages = []
    exhausted = Fraction(0)
    action, subject = "first preferences", None

    def move_on(paper):
        nonlocal exhausted
        while paper["at"] < len(paper["prefs"]) and paper["prefs"][paper["at"]] not in continuing:
            paper["at"] += 1
        if paper["at"] >= len(paper["prefs"]):
            exhausted += paper["value"]
            paper["at"] = None

    def holder(paper):
        return None if paper["at"] is None else paper["prefs"][paper["at"]]

    while True:
        totals = {c: Fraction(0) for c in candidates}
        for paper in papers:
            if holder(paper) in continuing:
                totals[holder(paper)] += paper["value"]
        totals.update(kept)
        ties.stages.append(totals)
        stages.append((action, subject, totals, exhausted))
        reached = [c for c in continuing if totals[c] >= quota]
        for c in ties.rank(reached, totals, ORDER_STV):
            continuing.remove(c)
            kept[c] = totals[c]
            winners.append(c)
            if totals[c] > quota:
                pending.append(c)
        if len(winners) < seats and len(continuing) <= seats - len(winners):
            winners += ties.rank(continuing, totals, LAST_STV)
            continuing = []
        if len(winners) >= seats or not continuing:
            return winners, stages
        if pending:
            top = max(kept[c] for c in pending)
            tied = [c for c in pending if kept[c] == top]
            # Rule 49(2): look back; if equal throughout, the order they were declared in.
            for earlier in reversed(ties.stages[:-1]):
                values = {earlier[c] for c in tied}
                if len(values) > 1:
                    tied = [c for c in tied if earlier[c] == max(values)]
            source = min(tied, key=winners.index)
            pending.remove(source)
            surplus, total = kept[source] - quota, kept[source]
            for paper in papers:
                if paper["at"] is not None and holder(paper) == source:
                    paper["value"] = floor_to(paper["value"] * surplus / total, 5)
                    move_on(paper)
            kept[source] = quota
            action = "surplus transfer"
        else:
            low = min(totals[c] for c in continuing)
            source = ties.pick(
                [c for c in continuing if totals[c] == low], EXCLUDE_STV, lowest=True
            )
            continuing.remove(source)
            kept[source] = Fraction(0)
            for paper in papers:
                if paper["at"] is not None and holder(paper) == source:
                    move_on(paper)
            action = "exclusion"
        subject = source


def meek(candidates, ballots, seats, seed):
    """Meek STV with 9-decimal arithmetic as documented."""
    papers = papers_of(ballots)
    valid = len(papers)
    keep = {c: Fraction(1) for c in candidates}
    hopeful = list(candidates)
    elected = []
    ties = Ties(seed)
    stages = []
    tiny = Fraction(1, 10**9)

    def read():
        votes = {c: Fraction(0) for c in candidates}
        excess = Fraction(0)
        for prefs in papers:
            left = Fraction(1)
            for c in prefs:
                share = floor_to(left * keep[c], 9)
                votes[c] += share
                left -= share
            excess += left
        return votes, excess, floor_to((valid - excess) / (seats + 1), 9) + tiny

    votes, excess, quota = read()
    action, subject = "first preferences", None
    settled = False
    while True:
        ties.stages.append(votes)
        stages.append((action, subject, votes, excess))
        newly = ties.rank([c for c in hopeful if votes[c] >= quota], votes, ORDER)
        for c in newly:
            hopeful.remove(c)
            elected.append(c)
        if len(elected) < seats and len(hopeful) <= seats - len(elected):
            elected += ties.rank(hopeful, votes, ORDER)
            hopeful = []
        if len(elected) >= seats or not hopeful:
            return elected, stages
        if newly:
            settled = False
        ran = 0
        if elected and not settled:
            previous = None
            while True:
                surplus = sum(votes[c] - quota for c in elected)
                if surplus <= Fraction(1, 10**6) or (previous is not None and surplus >= previous):
                    settled = True
                    break
                previous = surplus
                for c in elected:
                    if votes[c]:
                        keep[c] = min(Fraction(1), ceil_to(keep[c] * quota / votes[c], 9))
                votes, excess, quota = read()
                ran += 1
                if any(votes[c] >= quota for c in hopeful):
                    break
        if ran:
            action, subject = "surplus distribution", None
            continue
        low = min(votes[c] for c in hopeful)
        out = ties.pick([c for c in hopeful if votes[c] == low], EXCLUDE, lowest=True)
        hopeful.remove(out)
        keep[out] = Fraction(0)
        votes, excess, quota = read()
        action, subject = "exclusion", out
        settled = settled and low == 0

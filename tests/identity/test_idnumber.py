from datetime import date

import pytest

from deliberate.identity import idnumber
from deliberate.identity.idnumber import InvalidIdNumber, check_digit, parse, tag

TODAY = date(2026, 11, 28)


def make(region: str = "410102", born: str = "19800101", seq: str = "123") -> str:
    first17 = region + born + seq
    return first17 + check_digit(first17)


def test_the_published_example_is_valid() -> None:
    number = parse("11010519491231002X", today=TODAY)
    assert number.birth_year == 1949


@pytest.mark.parametrize(
    "typed",
    [" 11010519491231002x ", "１１０１０５１９４９１２３１００２Ｘ", "110105 19491231 002X"],
)
def test_normalisation(typed: str) -> None:
    assert parse(typed, today=TODAY).normalised == "11010519491231002X"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("11010519491231002", "length"),
        ("11010519491231002XX", "length"),
        ("1101051949123100AX", "characters"),
        (make(region="010102"), "region"),
        (make(born="19800230"), "birth_date"),
        (make(born="18991231"), "birth_date"),
        (make(born="20270101"), "birth_date"),
        ("110105194912310021", "check_digit"),
    ],
)
def test_refused_with_a_reason_and_without_the_number(value: str, code: str) -> None:
    with pytest.raises(InvalidIdNumber) as refused:
        parse(value, today=TODAY)
    assert refused.value.code == code
    assert value not in str(refused.value) and value[:6] not in repr(refused.value)


def test_every_wrong_check_digit_is_caught() -> None:
    good = make()
    for wrong in "0123456789X":
        if wrong != good[-1]:
            with pytest.raises(InvalidIdNumber):
                parse(good[:17] + wrong, today=TODAY)


def test_tag_is_keyed_stable_and_never_the_number() -> None:
    number = parse(make(), today=TODAY)
    first, second = tag(b"k" * 32, number), tag(b"k" * 32, number)
    assert first == second and len(first) == 64
    assert tag(b"j" * 32, number) != first
    assert number.normalised not in first
    assert number.normalised not in repr(number) and number.normalised not in str(number)


def test_check_digit_table() -> None:
    assert idnumber.check_digit("11010519491231002") == "X"

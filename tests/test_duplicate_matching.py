"""The duplicate matching rules, without a browser or a database."""

from datetime import date

from caseapp.duplicates.matching import (
    MIN_SCORE,
    Person,
    Reason,
    birth_dates_to_look_up,
    compare,
    find_matches,
    matches_for,
    phone_key,
)


def person(pid, first, last, born, **extra):
    return Person.of(pid, first, last, born, **extra)


def test_georgian_and_latin_names_with_day_and_month_swapped_are_a_likely_pair():
    latin = person(1, "Nodar", "Tsereteli", date(1985, 3, 7))
    georgian = person(2, "ნოდარ", "წერეთელი", date(1985, 7, 3))
    score, reasons = compare(latin, georgian)
    assert reasons == (Reason.NAMES_ACROSS_SCRIPTS, Reason.BIRTH_DAY_MONTH_SWAPPED)
    assert score >= MIN_SCORE
    assert [str(r.label) for r in reasons] == ["names match across scripts", "birth date day/month swapped"]


def test_names_are_normalised_for_case_accents_hyphens_and_spaces():
    a = person(1, "Ana-Maria", "GELASHVILI", date(1990, 1, 1))
    b = person(2, " ana maria ", "Gelašvili", date(1990, 1, 1))
    assert compare(a, b) == (70, (Reason.SAME_NAME, Reason.SAME_BIRTH_DATE))


def test_a_typo_in_the_name_with_the_same_birth_date_matches():
    score, reasons = compare(
        person(1, "Nino", "Beridze", date(1979, 5, 2)), person(2, "Nino", "Berdize", date(1979, 5, 2))
    )
    assert Reason.SIMILAR_NAME in reasons and Reason.SAME_BIRTH_DATE in reasons and score >= MIN_SCORE


def test_first_and_last_name_in_the_other_order():
    _score, reasons = compare(
        person(1, "Giorgi", "Kapanadze", date(1970, 2, 2)), person(2, "Kapanadze", "Giorgi", date(1971, 2, 2))
    )
    assert reasons == (Reason.NAME_ORDER_SWAPPED, Reason.BIRTH_YEAR_ONE_OFF)


def test_same_name_other_birthday_is_not_proposed():
    assert (
        compare(person(1, "Giorgi", "Beridze", date(1970, 2, 2)), person(2, "Giorgi", "Beridze", date(1983, 9, 20)))[0]
        < MIN_SCORE
    )


def test_different_personal_numbers_speak_against_a_match():
    a = person(1, "Eka", "Lomidze", date(1990, 4, 4), personal_number="01001000001")
    b = person(2, "Eka", "Lomidze", date(1990, 4, 4), personal_number="01001000002")
    score, reasons = compare(a, b)
    assert Reason.DIFFERENT_PERSONAL_NUMBER in reasons and score < MIN_SCORE


def test_same_personal_number_alone_is_proposed_and_phone_counts_without_country_code():
    a = person(1, "X", "Y", None, personal_number="01001000001", phone="+995 599 12 34 56")
    b = person(2, "Q", "Z", date(1990, 1, 1), personal_number="01001000001", phone="599123456")
    score, reasons = compare(a, b)
    assert reasons[0] == Reason.SAME_PERSONAL_NUMBER and Reason.SAME_PHONE in reasons and score >= MIN_SCORE
    assert phone_key("+995 (599) 12-34-56") == "599123456"


def test_find_matches_uses_blocking_and_orders_best_first():
    people = [
        person(1, "Nodar", "Tsereteli", date(1985, 3, 7)),
        person(2, "ნოდარ", "წერეთელი", date(1985, 7, 3)),
        person(3, "Nodar", "Tsereteli", date(1985, 3, 7), phone="599000111"),
        person(4, "Someone", "Else", date(1985, 3, 7)),
        person(5, "Nodar", "Tsereteli", date(1960, 1, 1)),
    ]
    found = find_matches(people)
    assert [m.ids for m in found] == [(1, 3), (1, 2), (2, 3)]
    assert find_matches(people, skip={(1, 3)})[0].ids == (1, 2)


def test_a_new_person_is_compared_with_existing_ones():
    existing = [person(7, "Nodar", "Tsereteli", date(1985, 3, 7))]
    found = matches_for(person(None, "ნოდარ", "წერეთელი", date(1985, 7, 3)), existing)
    assert [m.second.id for m in found] == [7]


def test_birth_dates_to_look_up_cover_swap_and_year_and_29_february():
    assert birth_dates_to_look_up(date(1985, 3, 7)) == [
        date(1984, 3, 7),
        date(1985, 3, 7),
        date(1985, 7, 3),
        date(1986, 3, 7),
    ]
    assert birth_dates_to_look_up(date(1984, 2, 29)) == [date(1984, 2, 29)]
    assert birth_dates_to_look_up(date(1985, 7, 25)) == [date(1984, 7, 25), date(1985, 7, 25), date(1986, 7, 25)]

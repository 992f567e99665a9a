"""Patterns found beside the model, each with its normal form: e-mail addresses (lower
case), phone numbers (E.164), IBANs (checksum valid, no spaces), amounts (ISO currency and
amount), dates (ISO; relative ones against the document's date) and reference numbers (the
installation's own regular expressions).

The normal form is the entity's key, so "£4,500" and "GBP 4500.00" are one amount.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

import phonenumbers


@dataclass(frozen=True, slots=True)
class Found:
    kind: str
    start: int
    end: int
    key: str  # the normal form: what variants share
    name: str  # as shown on the entity


@dataclass(frozen=True, slots=True)
class PatternRules:
    """What the settings decide: built once per job from `Settings`."""

    phone_region: str
    day_first: bool
    references: tuple[re.Pattern[str], ...]


# --- e-mail ----------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
                    r"\.[A-Za-z]{2,24}\b")


def find_emails(text: str) -> Iterator[Found]:
    for match in _EMAIL.finditer(text):
        value = match.group().lower()
        yield Found("email", match.start(), match.end(), value, value)


# --- phone -----------------------------------------------------------------------------

def find_phones(text: str, region: str) -> Iterator[Found]:
    """libphonenumber's matcher, at its VALID leniency: a number must be a real number of
    its region, which keeps dates, amounts and account numbers out."""
    for match in phonenumbers.PhoneNumberMatcher(text, region,
                                                 leniency=phonenumbers.Leniency.VALID):
        e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        start, end = match.start, match.end
        # "(+49 30 901820)": the matcher keeps an opening bracket it did not close.
        while start < end and text[start] in "([" and ")" not in text[start:end]:
            start += 1
        yield Found("phone", start, end, e164, e164)


# --- IBAN ------------------------------------------------------------------------------

# Lengths of the countries' IBANs (the registry's table, the common part of it); others
# are accepted at any length from 15 to 34 when their checksum holds.
IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
    "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28,
    "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31,
    "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
}
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")


def iban_valid(compact: str) -> bool:
    """ISO 13616: the first four characters moved to the end, letters as 10-35, mod 97 = 1."""
    moved = compact[4:] + compact[:4]
    digits = "".join(str(int(c, 36)) for c in moved)
    return int(digits) % 97 == 1


def find_ibans(text: str) -> Iterator[Found]:
    for match in _IBAN.finditer(text):
        positions = [match.start() + i for i, c in enumerate(match.group()) if c != " "]
        compact = match.group().replace(" ", "")
        known = IBAN_LENGTHS.get(compact[:2])
        lengths = [known] if known else list(range(min(len(compact), 34), 14, -1))
        for length in lengths:
            if len(compact) >= length and iban_valid(compact[:length]):
                end = positions[length - 1] + 1
                if end < len(text) and text[end].isalnum():
                    continue  # cut inside a word: not this length
                yield Found("iban", match.start(), end, compact[:length], compact[:length])
                break


# --- amounts ---------------------------------------------------------------------------

SYMBOLS = {"£": "GBP", "€": "EUR", "$": "USD", "US$": "USD", "A$": "AUD", "C$": "CAD",
           "¥": "JPY", "CHF": "CHF", "Fr.": "CHF"}
CODES = ("GBP", "EUR", "USD", "CHF", "JPY", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK", "PLN",
         "CZK", "HUF", "INR", "CNY", "HKD", "SGD", "ZAR")
WORDS = {"pounds sterling": "GBP", "pounds": "GBP", "pound": "GBP", "euros": "EUR",
         "euro": "EUR", "dollars": "USD", "dollar": "USD", "francs": "CHF"}
SCALES = {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "million": 1_000_000,
          "mn": 1_000_000, "bn": 1_000_000_000, "billion": 1_000_000_000}
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?"
# 3.480,00 and 420,00: a decimal comma, tried first so "€ 3.480,00" is not read as 3.48.
_DECIMAL_COMMA = r"\d{1,3}(?:\.\d{3})*,\d{2}(?!\d)"
_EURO_NUMBER = r"\d{1,3}(?:\.\d{3})*,\d{2}|\d{1,3}(?:\.\d{3})+"
_SCALE = r"(?:\s?(?P<scale>k|m|mn|bn)\b|\s(?P<scale_word>thousand|million|billion)\b)?"
_SYMBOL = "|".join(re.escape(s) for s in sorted(SYMBOLS, key=len, reverse=True))
_CODE = "|".join(CODES)
_WORD = "|".join(sorted(WORDS, key=len, reverse=True))
_MONEY = re.compile(
    rf"(?:(?P<symbol>{_SYMBOL})\s?|\b(?P<code>{_CODE})\s?)"
    rf"(?:(?P<amount_comma>{_DECIMAL_COMMA})|(?P<amount>{_NUMBER}){_SCALE})"
    rf"|\b(?P<amount2>{_NUMBER}){_SCALE.replace('scale', 'scale2')}\s?"
    rf"(?:(?P<code2>{_CODE})\b|(?P<word>{_WORD})\b)"
    rf"|\b(?P<amount3>{_EURO_NUMBER})\s?(?:€|(?P<code3>EUR)\b)")


def _amount(raw: str, *, continental: bool = False) -> Decimal | None:
    cleaned = raw.replace(".", "").replace(",", ".") if continental else raw.replace(",", "")
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


def find_money(text: str) -> Iterator[Found]:
    for match in _MONEY.finditer(text):
        groups = match.groupdict()
        if groups["amount3"]:
            currency, value = "EUR", _amount(groups["amount3"], continental=True)
            scale = None
        elif groups["amount_comma"]:
            currency = SYMBOLS.get(groups["symbol"] or "") or groups["code"] or ""
            value, scale = _amount(groups["amount_comma"], continental=True), None
        elif groups["amount"]:
            currency = SYMBOLS.get(groups["symbol"] or "") or groups["code"] or ""
            value, scale = _amount(groups["amount"]), groups["scale"] or groups["scale_word"]
        else:
            currency = groups["code2"] or WORDS[(groups["word"] or "").lower()]
            value, scale = _amount(groups["amount2"]), groups["scale2"] or groups["scale2_word"]
        if value is None or not currency:
            continue
        if scale:
            value *= SCALES[scale.lower()]
        normal = f"{currency} {value:.2f}"
        shown = f"{currency} {value:,.2f}"
        yield Found("money", match.start(), match.end(), normal, shown)


# --- dates -----------------------------------------------------------------------------

MONTHS = {name: number for number, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
     ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
     ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")), start=1) for name in names}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH = r"(?P<month>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|" \
         r"Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
# "Saturday 19 August 2023": the weekday belongs to the date's span.
_WEEKDAY = r"(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+)?"
_YEAR = r"(?P<year>(?:19|20)\d{2})"
_DATES = [
    re.compile(r"\b(?P<iso_y>(?:19|20)\d{2})-(?P<iso_m>[01]\d)-(?P<iso_d>[0-3]\d)\b"),
    re.compile(rf"\b{_WEEKDAY}{_DAY}(?:\s+of)?\s+{_MONTH}\.?,?\s+{_YEAR}\b"),
    re.compile(rf"\b{_WEEKDAY}{_MONTH}\.?\s+{_DAY},?\s+{_YEAR}\b"),
    re.compile(r"\b(?P<n1>[0-3]?\d)[/.](?P<n2>[01]?\d)[/.](?P<ny>(?:19|20)\d{2})\b"),
    re.compile(rf"\b{_MONTH}\s+{_YEAR}\b"),  # a month: keyed YYYY-MM
]
_RELATIVE = re.compile(
    r"\b(?:(?P<simple>the day before yesterday|the day after tomorrow|yesterday|today|"
    r"tomorrow)|(?P<dir>last|next)\s+(?P<weekday>" + "|".join(WEEKDAYS) + r")|"
    r"(?P<count>\d{1,3}|a|one|two|three|four|five|six|seven|eight|nine|ten)\s+"
    r"(?P<unit>days?|weeks?)\s+ago)\b", re.IGNORECASE)
_COUNTS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
           "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_SIMPLE = {"the day before yesterday": -2, "yesterday": -1, "today": 0, "tomorrow": 1,
           "the day after tomorrow": 2}


def _valid_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _absolute(match: re.Match[str], day_first: bool) -> str | None:
    groups = match.groupdict()
    if groups.get("iso_y"):
        found = _valid_date(int(groups["iso_y"]), int(groups["iso_m"]), int(groups["iso_d"]))
    elif groups.get("ny"):
        first, second = int(groups["n1"]), int(groups["n2"])
        day, month = (first, second) if day_first else (second, first)
        found = _valid_date(int(groups["ny"]), month, day)
    else:
        month = MONTHS[groups["month"].lower().rstrip(".")]
        if groups.get("day") is None:
            return f"{int(groups['year']):04d}-{month:02d}"
        found = _valid_date(int(groups["year"]), month, int(groups["day"]))
    return found.isoformat() if found else None


def _relative(match: re.Match[str], anchor: date) -> date:
    groups = match.groupdict()
    if groups["simple"]:
        return anchor + timedelta(days=_SIMPLE[groups["simple"].lower()])
    if groups["weekday"]:
        target = WEEKDAYS.index(groups["weekday"].lower())
        if groups["dir"].lower() == "last":
            return anchor - timedelta(days=(anchor.weekday() - target - 1) % 7 + 1)
        return anchor + timedelta(days=(target - anchor.weekday() - 1) % 7 + 1)
    count = groups["count"].lower()
    number = _COUNTS[count] if count in _COUNTS else int(count)
    days = number * (7 if groups["unit"].lower().startswith("week") else 1)
    return anchor - timedelta(days=days)


def find_dates(text: str, *, anchor: date | None, day_first: bool) -> Iterator[Found]:
    """Absolute dates as ISO (a month alone as YYYY-MM); relative ones ("yesterday", "last
    Monday", "3 days ago") resolved against `anchor`, the document's date, when known."""
    for pattern in _DATES:
        for match in pattern.finditer(text):
            value = _absolute(match, day_first)
            if value is not None:
                yield Found("date", match.start(), match.end(), value, value)
    if anchor is None:
        return
    for match in _RELATIVE.finditer(text):
        value = _relative(match, anchor).isoformat()
        yield Found("date", match.start(), match.end(), value, value)


# --- references ------------------------------------------------------------------------

def find_references(text: str, patterns: tuple[re.Pattern[str], ...]) -> Iterator[Found]:
    """The number is the pattern's first group if it has one (so "Case No. 123/45" can be
    matched with its label and keyed without it), else the whole match."""
    for pattern in patterns:
        for match in pattern.finditer(text):
            group = 1 if pattern.groups else 0
            start, end = match.span(group)
            if start < 0 or end <= start:
                continue
            value = match.group(group).upper()
            yield Found("reference", start, end, value, value)


def find_patterns(text: str, *, rules: PatternRules, anchor: date | None) -> list[Found]:
    """Every pattern's matches in `text`, overlapping ones included (the caller picks)."""
    found: list[Found] = []
    found.extend(find_emails(text))
    found.extend(find_ibans(text))
    found.extend(find_references(text, rules.references))
    found.extend(find_money(text))
    found.extend(find_dates(text, anchor=anchor, day_first=rules.day_first))
    found.extend(find_phones(text, rules.phone_region))
    return found

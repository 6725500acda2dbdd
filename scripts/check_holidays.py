#!/usr/bin/env python3
"""Cross-check Varsel's Easter and Nordic holiday calendars against the PyPI `holidays` package.

Compiles Sources/VarselCore/Time/RFC3339.swift and Sources/VarselCore/Policy/{Easter,PublicHolidays}.swift
with a tiny driver (swiftc, outside the SwiftPM build), prints every holiday date it computes, and compares
the dates with `holidays` (public holidays, plus the de facto / optional days the Varsel lists include).
Easter is also compared with `dateutil.easter` for every year 1583...9999.

    pip install holidays
    python3 scripts/check_holidays.py [FIRST_YEAR LAST_YEAR]      # default 2000 2060

Exit status 0 when the only differences are the documented ones (ACCEPTED below), 1 otherwise.
Only dates are compared; names differ in wording (e.g. "Pentecost" vs "Whit Sunday").
"""
import datetime
import os
import subprocess
import sys
import tempfile

import holidays
from dateutil.easter import EASTER_WESTERN, easter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = [
    "Sources/VarselCore/Time/RFC3339.swift",
    "Sources/VarselCore/Policy/Easter.swift",
    "Sources/VarselCore/Policy/PublicHolidays.swift",
]
DRIVER = r"""
let args = CommandLine.arguments
let first = Int(args[1])!, last = Int(args[2])!
var out = ""
for year in 1583...9999 { out += "E \(year) \(Easter.sunday(year: year))\n" }
for country in PublicHolidays.countries.sorted() {
    for year in first...last {
        for (date, name) in PublicHolidays.holidays(country: country, year: year) {
            out += "H \(country) \(date) \(name)\n"
        }
    }
}
print(out, terminator: "")
"""

# Days from other `holidays` categories that Varsel's lists include.
EXTRA = {
    "NO": {},
    "SE": {"de_facto": None},  # Midsummer Eve, Christmas Eve, New Year's Eve
    "DK": {"optional": {"Constitution Day", "Christmas Eve", "New Year's Eve"}},  # not Workers' Day (1 May)
    "FI": {},
}


def accepted(country, date, only_in):
    """Known differences where Varsel follows its own list (today's law for every year)."""
    if country == "SE" and date.year < 2005:
        # `holidays` follows history: Whit Monday was a holiday and 6 June was not, until 2004.
        if only_in == "holidays" and date == easter(date.year) + datetime.timedelta(days=50):
            return "SE Whit Monday before 2005 (Varsel: not a holiday)"
        if only_in == "varsel" and (date.month, date.day) == (6, 6):
            return "SE National Day before 2005 (Varsel: holiday)"
    return None


def reference(country, year):
    days = dict(holidays.country_holidays(country, years=year))
    for category, names in EXTRA[country].items():
        for date, name in holidays.country_holidays(country, years=year, categories=(category,)).items():
            parts = [p.strip() for p in name.split(";")]
            if names is None or any(p in names for p in parts):
                days.setdefault(date, name)
    return days


def main():
    first, last = (int(sys.argv[1]), int(sys.argv[2])) if len(sys.argv) == 3 else (2000, 2060)
    with tempfile.TemporaryDirectory() as tmp:
        driver = os.path.join(tmp, "main.swift")
        with open(driver, "w") as f:
            f.write(DRIVER)
        binary = os.path.join(tmp, "holidays-driver")
        subprocess.run(["swiftc", "-O", "-o", binary, driver] + [os.path.join(ROOT, s) for s in SOURCES], check=True)
        output = subprocess.run([binary, str(first), str(last)], check=True, capture_output=True, text=True).stdout

    ours = {}
    easter_errors = 0
    for line in output.splitlines():
        kind, rest = line.split(" ", 1)
        if kind == "E":
            year, date = rest.split(" ")
            if date != easter(int(year), EASTER_WESTERN).isoformat():
                easter_errors += 1
                print(f"EASTER {year}: varsel {date}, dateutil {easter(int(year))}")
        else:
            country, date, name = rest.split(" ", 2)
            ours.setdefault(country, {})[datetime.date.fromisoformat(date)] = name
    print(f"Easter 1583...9999: {8417 - easter_errors} of 8417 years agree with dateutil")

    unexpected = 0
    notes = {}
    for country in sorted(ours):
        for year in range(first, last + 1):
            mine = {d for d in ours[country] if d.year == year}
            theirs = set(reference(country, year))
            for only_in, dates in (("varsel", mine - theirs), ("holidays", theirs - mine)):
                for date in sorted(dates):
                    reason = accepted(country, date, only_in)
                    if reason:
                        notes.setdefault(reason, []).append(date.isoformat())
                    else:
                        unexpected += 1
                        print(f"UNEXPECTED {country} {date}: only in {only_in}")
        print(f"{country} {first}...{last}: {sum(1 for d in ours[country] if first <= d.year <= last)} dates checked")
    for reason, dates in notes.items():
        print(f"accepted difference: {reason}: {', '.join(dates)}")
    print("OK" if unexpected == 0 and easter_errors == 0 else f"FAILED: {unexpected} unexpected differences")
    return 0 if unexpected == 0 and easter_errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

"""Vietnamese lunar calendar facts the working calendar needs (pure, no I/O).

The `holidays` package knows the date of Tết (1 tháng Giêng) each year but not how
long the last lunar month (tháng Chạp) is, which decides whether the day before New
Year's Eve is "28 tháng Chạp" or "29 tháng Chạp". A lunar month starts on the day
(in Vietnam's time zone, UTC+7) of a new moon; new moons are computed with the
series from Jean Meeus, "Astronomical Algorithms" (the method every Vietnamese
lunar calendar uses). Tests check it against the package's lunar dates.
"""

from __future__ import annotations

import datetime as dt
import math

__all__ = ["last_month_start", "lunar_day_before_new_year", "new_moon_day"]

# Julian day number of proleptic Gregorian 0001-01-01 minus its ordinal (1).
_JDN_OFFSET = 1721425
_SYNODIC_MONTH = 29.530588853
# Vietnam's standard time, in hours from UTC.
_TIME_ZONE = 7.0


def _new_moon_jd(k: int) -> float:
    """Julian date (UT) of the k-th new moon after the one of 1 January 1900."""
    t = k / 1236.85
    t2 = t * t
    t3 = t2 * t
    dr = math.pi / 180
    jd1 = 2415020.75933 + 29.53058868 * k + 0.0001178 * t2 - 0.000000155 * t3
    jd1 += 0.00033 * math.sin((166.56 + 132.87 * t - 0.009173 * t2) * dr)
    m = 359.2242 + 29.10535608 * k - 0.0000333 * t2 - 0.00000347 * t3
    mpr = 306.0253 + 385.81691806 * k + 0.0107306 * t2 + 0.00001236 * t3
    f = 21.2964 + 390.67050646 * k - 0.0016528 * t2 - 0.00000239 * t3
    c1 = (0.1734 - 0.000393 * t) * math.sin(m * dr) + 0.0021 * math.sin(2 * dr * m)
    c1 += -0.4068 * math.sin(mpr * dr) + 0.0161 * math.sin(dr * 2 * mpr)
    c1 += -0.0004 * math.sin(dr * 3 * mpr)
    c1 += 0.0104 * math.sin(dr * 2 * f) - 0.0051 * math.sin(dr * (m + mpr))
    c1 += -0.0074 * math.sin(dr * (m - mpr)) + 0.0004 * math.sin(dr * (2 * f + m))
    c1 += -0.0004 * math.sin(dr * (2 * f - m)) - 0.0006 * math.sin(dr * (2 * f + mpr))
    c1 += 0.0010 * math.sin(dr * (2 * f - mpr)) + 0.0005 * math.sin(dr * (2 * mpr + m))
    if t < -11:
        deltat = 0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3
    else:
        deltat = -0.000278 + 0.000265 * t + 0.000262 * t2
    return jd1 + c1 - deltat


def new_moon_day(k: int) -> dt.date:
    """The civil date in Vietnam (UTC+7) of the k-th new moon after 1 January 1900."""
    jdn = math.floor(_new_moon_jd(k) + 0.5 + _TIME_ZONE / 24)
    return dt.date.fromordinal(jdn - _JDN_OFFSET)


def _k_near(d: dt.date) -> int:
    return round((d.toordinal() + _JDN_OFFSET - 2415021.076998695) / _SYNODIC_MONTH)


def last_month_start(new_year: dt.date) -> dt.date:
    """First day of the lunar month that ends on the eve of `new_year` (1 tháng Giêng)."""
    k = _k_near(new_year)
    # `new_year` is itself a new-moon day; find its k exactly, then step one month back.
    for candidate in (k, k - 1, k + 1):
        if new_moon_day(candidate) == new_year:
            return new_moon_day(candidate - 1)
    raise ValueError(f"{new_year.isoformat()} is not the first day of a lunar month")


def lunar_day_before_new_year(d: dt.date, new_year: dt.date) -> int:
    """Day of tháng Chạp (1–30) of `d`, a date in the lunar month before `new_year`."""
    start = last_month_start(new_year)
    if not start <= d < new_year:
        raise ValueError(f"{d.isoformat()} is not in the last lunar month before {new_year}")
    return (d - start).days + 1

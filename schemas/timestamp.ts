/**
 * Event-time parsing and formatting. Timestamps are epoch microseconds (exact
 * in a double up to year 2255) and dates are days since 1970-01-01, both UTC.
 */

const MICROS_PER_DAY = 86_400_000_000;

const MICROS_PER_MINUTE = 60_000_000;

/** Value of `count` ASCII digits at `at`, or -1 if any is not a digit. */
function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
}

/**
 * Epoch microseconds of `YYYY-MM-DD HH:MM:SS` (the playback events' form, UTC) or
 * ISO-8601 `YYYY-MM-DDTHH:MM:SS[.fraction][Z|+HH:MM|+HHMM]`; null when the
 * text is neither or names an impossible time. No zone means UTC. Fractions
 * beyond microseconds are truncated. Hand-written: it runs once per event.
 */
export function parseTimestamp(text: string): number | null {
  const length = text.length;
  if (length < 19) return null;
  const year = digitsAt(text, 0, 4), month = digitsAt(text, 5, 2), day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2), minute = digitsAt(text, 14, 2), second = digitsAt(text, 17, 2);
  const sep = text.charCodeAt(10);
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || (sep !== 84 && sep !== 32)) return null; // - - T|space
  if (text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return null; // : :
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return null;
  let at = 19;
  let fraction = 0;
  if (at < length && text.charCodeAt(at) === 46) { // .
    const from = ++at;
    while (at < length && at - from < 9 && digitsAt(text, at, 1) >= 0) at++;
    if (at === from) return null;
    fraction = digitsAt((text.slice(from, at) + "00000").slice(0, 6), 0, 6);
  }
  let offsetMinutes = 0;
  if (at < length) {
    const zone = text.charCodeAt(at);
    if (zone === 90 && at + 1 === length) { // Z
      // UTC
    } else if (zone === 43 || zone === 45) { // + -
      const colon = text.charCodeAt(at + 3) === 58 ? 1 : 0;
      const zh = digitsAt(text, at + 1, 2), zm = digitsAt(text, at + 3 + colon, 2);
      if (at + 5 + colon !== length || zh < 0 || zh > 23 || zm < 0 || zm > 59) return null;
      offsetMinutes = (zone === 45 ? -1 : 1) * (zh * 60 + zm);
    } else {
      return null;
    }
  }
  const minutes = (daysFromCivil(year, month, day) * 24 + hour) * 60 + minute - offsetMinutes;
  return minutes * MICROS_PER_MINUTE + second * 1_000_000 + fraction;
}

/** UTC calendar day (days since 1970-01-01) of an epoch-microsecond timestamp. */
export function utcDay(micros: number): number {
  return Math.floor(micros / MICROS_PER_DAY);
}

/** `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`: the RFC 3339 form BigQuery and DuckDB both read. */
export function formatTimestamp(micros: number): string {
  const millis = Math.floor(micros / 1000);
  const sub = micros - millis * 1000;
  const iso = new Date(millis).toISOString(); // 2025-10-27T21:10:55.123Z
  const whole = iso.slice(0, 19);
  const fraction = iso.slice(20, 23) + String(sub).padStart(3, "0");
  return fraction === "000000" ? `${whole}Z` : `${whole}.${fraction.replace(/0+$/, "")}Z`;
}

/** `YYYY-MM-DD` of a day number. */
export function formatDate(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

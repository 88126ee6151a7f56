import { expect } from "chai";
import { formatDate, formatTimestamp, parseTimestamp, utcDay } from "../../schemas/timestamp";

const micros = (iso: string): number => Date.parse(iso) * 1000;

describe("timestamps", () => {
  it("reads the playback events' `YYYY-MM-DD HH:MM:SS` as UTC", () => {
    expect(parseTimestamp("2025-10-27 21:10:55")).to.equal(micros("2025-10-27T21:10:55Z"));
  });

  it("reads ISO-8601 with Z, offsets and fractions", () => {
    expect(parseTimestamp("2025-10-27T21:10:55Z")).to.equal(micros("2025-10-27T21:10:55Z"));
    expect(parseTimestamp("2025-10-27T21:10:55+07:00")).to.equal(micros("2025-10-27T14:10:55Z"));
    expect(parseTimestamp("2025-10-27T21:10:55-0130")).to.equal(micros("2025-10-27T22:40:55Z"));
    expect(parseTimestamp("2025-10-27T21:10:55.5Z")).to.equal(micros("2025-10-27T21:10:55Z") + 500_000);
    expect(parseTimestamp("2025-10-27T21:10:55.123456789Z")).to.equal(micros("2025-10-27T21:10:55Z") + 123_456);
    expect(parseTimestamp("1969-12-31T23:59:59Z")).to.equal(-1_000_000);
  });

  it("agrees with Date on every day of a leap year and a common year", () => {
    for (const year of [2024, 2025, 1900, 2000]) {
      for (let t = Date.UTC(year, 0, 1); t < Date.UTC(year + 1, 0, 1); t += 86_400_000 + 3_723_000) {
        const iso = new Date(t).toISOString().slice(0, 19);
        expect(parseTimestamp(iso), iso).to.equal(t * 1000);
      }
    }
  });

  it("rejects impossible and malformed times", () => {
    for (const bad of [
      "2025-02-29 00:00:00", "2025-13-01 00:00:00", "2025-00-10 00:00:00", "2025-04-31 00:00:00",
      "2025-10-27 24:00:00", "2025-10-27 23:60:00", "2025-10-27 23:59:60", "2025-10-27", "yesterday",
      "2025-10-27T21:10:55+25:00", "2025-10-27T21:10:55Zjunk", "2025-10-27T21:10:55.", "2025/10/27 21:10:55",
      "0000-01-01 00:00:00", " 2025-10-27 21:10:55", "2025-10-27x21:10:55",
    ]) {
      expect(parseTimestamp(bad), bad).to.equal(null);
    }
    expect(parseTimestamp("2024-02-29 12:00:00")).to.not.equal(null);
  });

  it("derives the UTC day, including before 1970", () => {
    expect(formatDate(utcDay(micros("2025-10-27T23:59:59Z")))).to.equal("2025-10-27");
    expect(formatDate(utcDay(parseTimestamp("2025-10-27T23:30:00-01:00")!))).to.equal("2025-10-28");
    expect(formatDate(utcDay(-1))).to.equal("1969-12-31");
  });

  it("formats as RFC 3339 UTC, keeping microseconds", () => {
    expect(formatTimestamp(micros("2025-10-27T21:10:55Z"))).to.equal("2025-10-27T21:10:55Z");
    expect(formatTimestamp(micros("2025-10-27T21:10:55Z") + 120_500)).to.equal("2025-10-27T21:10:55.1205Z");
    expect(parseTimestamp(formatTimestamp(1_761_599_455_000_001))).to.equal(1_761_599_455_000_001);
  });
});

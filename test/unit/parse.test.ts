import { expect } from "chai";
import { LineChunk, MessageChunk } from "../../transforms/core/chunk";
import { parseChunk } from "../../transforms/core/parse";
import { decodePlaybackEvent } from "../../transforms/playback/alerts";

const event = (id: number): string =>
  JSON.stringify({ event_id: id, session_id: 1, user_id: 1, movie_id: 1, event_type: "stop", event_timestamp: "2025-10-27 00:00:00" });

function lines(text: string, firstLine = 1): LineChunk {
  return { kind: "lines", source: "in.jsonl", unit: "in.jsonl@0", firstLine, data: Buffer.from(text), receivedAt: Date.UTC(2026, 0, 2) * 1000 };
}

describe("parseChunk", () => {
  it("splits a chunk into valid records, dead letters and blank lines, accounting for every line", () => {
    const text = `${event(1)}\n\n{"event_id": \n   \n${event(2)}\r\n[1]\n`;
    const parsed = parseChunk(lines(text, 10), "alerts", decodePlaybackEvent);
    expect(parsed.valid.map((e) => e.event_id)).to.deep.equal([1, 2]);
    expect(parsed.blank).to.equal(2);
    expect(parsed.read).to.equal(6);
    expect(parsed.deadLetters.map((d) => [d.source, d.reason_code, d.payload])).to.deep.equal([
      ["in.jsonl:12", "invalid_json", '{"event_id": '],
      ["in.jsonl:15", "not_object", "[1]"],
    ]);
    expect(parsed.deadLetters[0].pipeline).to.equal("alerts");
    expect(parsed.deadLetters[0].reason).to.match(/^not valid JSON: /);
    expect(parsed.deadLetters[0].run_date).to.equal(Math.floor(Date.UTC(2026, 0, 2) / 86_400_000));
  });

  it("sends lines that are not valid UTF-8 to dead letters as invalid_utf8, naming the byte; a real U+FFFD is kept", () => {
    const bad = Buffer.concat([Buffer.from(`${event(1)}\n{"title": "caf`), Buffer.from([0xe9]), Buffer.from('"}\n{"title": "\ufffd"}\n'), Buffer.from([0xff]), Buffer.from("\n")]);
    const parsed = parseChunk({ ...lines(""), data: bad }, "alerts", decodePlaybackEvent);
    expect(parsed.valid.map((e) => e.event_id)).to.deep.equal([1]);
    expect(parsed.deadLetters.map((d) => [d.source, d.reason_code, d.reason])).to.deep.equal([
      ["in.jsonl:2", "invalid_utf8", "not valid UTF-8 at byte 14 of the line (0xe9)"],
      ["in.jsonl:3", "missing_field", "event_id is required"],
      ["in.jsonl:4", "invalid_utf8", "not valid UTF-8 at byte 0 of the line (0xff)"],
    ]);
  });

  it("ignores a UTF-8 byte-order mark at the start of a file, and only there", () => {
    expect(parseChunk(lines(`\ufeff${event(1)}\n`), "alerts", decodePlaybackEvent).valid).to.have.length(1);
    expect(parseChunk(lines(`\ufeff${event(1)}\n`, 5), "alerts", decodePlaybackEvent).deadLetters[0].reason_code).to.equal("invalid_json");
  });

  it("reports an integer beyond 2^53 with the text the record has, not the value JSON rounded it to", () => {
    const text = `${event(1).replace('"event_id":1', '"event_id": 9007199254740993')}\n`;
    const parsed = parseChunk(lines(text), "alerts", decodePlaybackEvent);
    expect(parsed.deadLetters.map((d) => [d.reason_code, d.reason])).to.deep.equal([
      ["wrong_type", "event_id must be an integer within ±9007199254740991 (larger ones lose digits), got 9007199254740993"],
    ]);
  });

  it("handles a last line without a newline", () => {
    const parsed = parseChunk(lines(`${event(1)}\n${event(2)}`), "alerts", decodePlaybackEvent);
    expect(parsed.valid).to.have.length(2);
    expect(parsed.read).to.equal(2);
  });

  it("names message records by their message id", () => {
    const chunk: MessageChunk = { kind: "messages", source: "projects/p/subscriptions/s", ids: ["m1", "m2"], ackIds: ["a1", "a2"], payloads: [event(1), "oops"], receivedAt: 0 };
    const parsed = parseChunk(chunk, "alerts", decodePlaybackEvent);
    expect(parsed.valid).to.have.length(1);
    expect(parsed.deadLetters[0].source).to.equal("projects/p/subscriptions/s#m2");
  });

  it("gives a re-read record the same dead-letter id, and different records different ids", () => {
    const a = parseChunk(lines("bad\nbad\n"), "alerts", decodePlaybackEvent).deadLetters;
    const b = parseChunk(lines("bad\n"), "alerts", decodePlaybackEvent).deadLetters;
    expect(a[0].dead_letter_id).to.equal(b[0].dead_letter_id);
    expect(a[0].dead_letter_id).to.not.equal(a[1].dead_letter_id); // same payload, another line
  });
});

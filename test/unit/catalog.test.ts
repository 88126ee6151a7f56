import { expect } from "chai";
import { lineChunk } from "../../io/sources/source";
import { catalogLines } from "../../samples/catalog";
import { TITLES } from "../../samples/ott";
import { catalogKindOf, decodeBasics, decodeRatings, headerOf, parseCatalogChunk } from "../../transforms/catalog/imdb";
import { isRejection } from "../../transforms/core/validate";
import { PIPELINES } from "../../pipelines/registry";

const DAY = 19876;
const tsv = (...columns: string[]): string => columns.join("\t");
const chunkOf = (path: string, lines: string[], firstLine = 1) => lineChunk(path, 0, firstLine, Buffer.from(lines.map((l) => `${l}\n`).join("")), true);

describe("IMDb title files", () => {
  describe("a title.basics line", () => {
    it("types IMDb's columns: isAdult a boolean, years and minutes integers, genres an array", () => {
      expect(decodeBasics(tsv("tt0000001", "short", "Carmencita", "Carmencita", "0", "1894", "\\N", "1", "Documentary,Short"), DAY)).to.deep.equal({
        tconst: "tt0000001", titleType: "short", primaryTitle: "Carmencita", originalTitle: "Carmencita", isAdult: false,
        startYear: 1894, endYear: null, runtimeMinutes: 1, genres: ["Documentary", "Short"], run_date: DAY,
      });
    });

    it("reads \\N as null wherever IMDb writes it, and as an empty genres array", () => {
      expect(decodeBasics(tsv("tt9", "\\N", "\\N", "\\N", "\\N", "\\N", "\\N", "\\N", "\\N"), DAY)).to.deep.equal({
        tconst: "tt9", titleType: null, primaryTitle: null, originalTitle: null, isAdult: null, startYear: null, endYear: null, runtimeMinutes: null, genres: [], run_date: DAY,
      });
    });

    it("takes isAdult 1 as true and keeps a series' end year", () => {
      const row = decodeBasics(tsv("tt2", "tvSeries", "A", "B", "1", "2001", "2004", "45", "Drama"), DAY);
      expect(row).to.include({ isAdult: true, startYear: 2001, endYear: 2004, originalTitle: "B" });
    });

    for (const [line, code] of [
      [tsv("tt1", "movie", "A", "A", "0", "1999", "\\N", "90"), "wrong_column_count"],
      [tsv("tt1", "movie", "A", "A", "0", "1999", "\\N", "90", "Drama", "extra"), "wrong_column_count"],
      [tsv("tt1", "movie", "A", "A", "yes", "1999", "\\N", "90", "Drama"), "unknown_boolean"],
      [tsv("tt1", "movie", "A", "A", "0", "1999", "\\N", "90min", "Drama"), "not_an_integer"],
      [tsv("tt1", "movie", "A", "A", "0", "-5", "\\N", "90", "Drama"), "not_an_integer"],
      [tsv("\\N", "movie", "A", "A", "0", "1999", "\\N", "90", "Drama"), "missing_field"],
    ]) {
      it(`rejects ${JSON.stringify(line)} as ${code}`, () => {
        const outcome = decodeBasics(line, DAY);
        expect(isRejection(outcome) && outcome.code).to.equal(code);
      });
    }
  });

  describe("a title.ratings line", () => {
    it("reads the rating as a number and the votes as an integer", () => {
      expect(decodeRatings(tsv("tt0000001", "5.7", "2077"), DAY)).to.deep.equal({ tconst: "tt0000001", averageRating: 5.7, numVotes: 2077, run_date: DAY });
    });

    for (const [line, code] of [
      [tsv("tt1", "n/a", "10"), "bad_rating"],
      [tsv("tt1", "8,5", "10"), "bad_rating"],
      [tsv("tt1", "11.0", "10"), "bad_rating"],
      [tsv("tt1", "\\N", "10"), "bad_rating"],
      [tsv("tt1", "7.0", "many"), "not_an_integer"],
      [tsv("tt1", "7.0"), "wrong_column_count"],
    ]) {
      it(`rejects ${JSON.stringify(line)} as ${code}`, () => {
        const outcome = decodeRatings(line, DAY);
        expect(isRejection(outcome) && outcome.code).to.equal(code);
      });
    }
  });

  describe("a chunk of a file", () => {
    it("skips the header on line 1, parses the rest by the file's name and dead-letters bad lines with file:line", () => {
      const parsed = parseCatalogChunk(chunkOf("/data/title.ratings.tsv.gz", [headerOf("ratings"), tsv("tt1", "7.5", "10"), "", tsv("tt2", "x", "3")]), "catalog");
      expect(parsed.ratings.map((r) => r.tconst)).to.deep.equal(["tt1"]);
      expect(parsed.deadLetters.map((d) => `${d.reason_code} ${d.source} ${d.payload}`)).to.deep.equal([`bad_rating /data/title.ratings.tsv.gz:4 ${tsv("tt2", "x", "3")}`]);
      expect({ read: parsed.read, blank: parsed.blank }).to.deep.equal({ read: 2, blank: 1 });
    });

    it("dead-letters a first line that is not the file's header (columns in another order)", () => {
      const parsed = parseCatalogChunk(chunkOf("title.ratings.tsv", [tsv("tconst", "numVotes", "averageRating"), tsv("tt1", "7.5", "10")]), "catalog");
      expect(parsed.deadLetters.map((d) => d.reason_code)).to.deep.equal(["unexpected_header"]);
      expect(parsed.ratings).to.have.length(1);
    });

    it("reads the lines of a later chunk (not line 1) as data", () => {
      const parsed = parseCatalogChunk(chunkOf("title.basics.tsv", [tsv("tt3", "movie", "C", "C", "0", "2000", "\\N", "\\N", "Drama")], 5001), "catalog");
      expect(parsed.basics.map((b) => b.tconst)).to.deep.equal(["tt3"]);
    });

    it("dead-letters a line that is not UTF-8", () => {
      const bytes = Buffer.concat([Buffer.from(`${headerOf("ratings")}\ntt1\t7.0\t1`), Buffer.from([0xff]), Buffer.from("\n")]);
      const parsed = parseCatalogChunk(lineChunk("title.ratings.tsv", 0, 1, bytes, true), "catalog");
      expect(parsed.deadLetters.map((d) => d.reason_code)).to.deep.equal(["invalid_utf8"]);
    });
  });

  it("knows a file by IMDb's name, gzip or not", () => {
    expect(["/x/title.basics.tsv.gz", "title.ratings.tsv", "title.basics.2026-11-01.tsv.gz", "names.tsv", "title.akas.tsv.gz"].map(catalogKindOf)).to.deep.equal([
      "basics", "ratings", "basics", undefined, undefined,
    ]);
  });

  describe("the generated sample", () => {
    const lines = [...catalogLines({ seed: 42, titles: 5000 })];

    it("is the same for the same seed, and another for another seed", () => {
      expect([...catalogLines({ seed: 42, titles: 5000 })]).to.deep.equal(lines);
      expect([...catalogLines({ seed: 7, titles: 5000 })]).to.not.deep.equal(lines);
    });

    it("holds every title the OTT generator plays, under its content_id, some without a rating", () => {
      const basics = lines.filter((l) => l.file === "basics").map((l) => l.line.split("\t"));
      const rated = new Set(lines.filter((l) => l.file === "ratings").map((l) => l.line.split("\t")[0]));
      for (const title of TITLES) expect(basics.find((b) => b[0] === title.id)?.[2]).to.equal(title.title);
      expect(TITLES.filter((t) => !rated.has(t.id))).to.have.length(2);
    });

    it("has IMDb's headers, \\N values and some broken lines", () => {
      const basics = lines.filter((l) => l.file === "basics").map((l) => l.line);
      expect(basics[0]).to.equal(headerOf("basics"));
      expect(basics.filter((l) => l.includes("\\N")).length).to.be.greaterThan(100);
      const broken = basics.slice(1).filter((l) => isRejection(decodeBasics(l, DAY)));
      expect(broken.length).to.be.within(1, 40);
    });
  });

  it("is the one pipeline of snapshots, with its sample as files where the others have a sample source", () => {
    const kinds = Object.values(PIPELINES).map((p) => `${p.name} ${p.snapshots ? "snapshots" : "records"} ${p.sampleFiles ? "files" : ""}${p.sampleSource ? "source" : ""}`);
    expect(kinds).to.deep.equal(["alerts records source", "conversations records source", "ott records source", "catalog snapshots files"]);
  });
});

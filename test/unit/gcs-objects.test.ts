import { expect } from "chai";
import { createHash } from "crypto";
import { md5Hex, parseObjectPattern, StorageError } from "../../io/gcs/objects";

describe("gs:// object patterns (io/gcs/objects.ts)", () => {
  it("lists by the literal part before the first wildcard", () => {
    expect(parseObjectPattern("gs://imdb-data/imdb/title.*.tsv.gz")).to.include({ bucket: "imdb-data", prefix: "imdb/title." });
    expect(parseObjectPattern("gs://imdb-data/imdb/2026-11-?/title.basics.tsv.gz").prefix).to.equal("imdb/2026-11-");
    expect(parseObjectPattern("gs://imdb-data/imdb/title.basics.tsv.gz").prefix).to.equal("imdb/title.basics.tsv.gz");
  });

  it("matches `*` and `?` within one folder, everything else literally", () => {
    const pattern = parseObjectPattern("gs://b-1/imdb/title.*.tsv.gz");
    const names = ["imdb/title.basics.tsv.gz", "imdb/title.ratings.tsv.gz", "imdb/title..tsv.gz", "imdb/old/title.basics.tsv.gz", "imdb/title.basics.tsv.gz.bak", "imdb/titleXbasics.tsv.gz", "imdb/title.basics.tsvXgz"];
    expect(names.filter((n) => pattern.matches(n))).to.deep.equal(["imdb/title.basics.tsv.gz", "imdb/title.ratings.tsv.gz", "imdb/title..tsv.gz"]);
    const crossing = parseObjectPattern("gs://b-1/imdb/*.tsv.gz");
    expect(crossing.matches("imdb/2026/title.basics.tsv.gz")).to.equal(false);
    const one = parseObjectPattern("gs://b-1/day-?/t(1)+[x].tsv");
    expect(["day-1/t(1)+[x].tsv", "day-12/t(1)+[x].tsv", "day-/t(1)+[x].tsv", "day-1/t1+x.tsv"].filter((n) => one.matches(n))).to.deep.equal(["day-1/t(1)+[x].tsv"]);
    const exact = parseObjectPattern("gs://b-1/imdb/title.basics.tsv.gz");
    expect(exact.matches("imdb/title.basics.tsv.gz")).to.equal(true);
    expect(exact.matches("imdb/title.basics.tsv.gz.1")).to.equal(false);
  });

  it("refuses what is not gs://bucket/objects, in one line", () => {
    for (const bad of ["imdb/title.*.tsv.gz", "gs://bucket", "gs://bucket/", "gs://Bucket/x", "gs://b/x", "s3://bucket/x"]) {
      expect(() => parseObjectPattern(bad), bad).to.throw(StorageError, /^--input /);
    }
  });

  it("turns the API's md5Hash (base64) into the hex MD5 of the same bytes", () => {
    const bytes = Buffer.from("tconst\tprimaryTitle\n");
    expect(md5Hex(createHash("md5").update(bytes).digest("base64"))).to.equal(createHash("md5").update(bytes).digest("hex"));
    // The API's example value: the MD5 of no bytes.
    expect(md5Hex("1B2M2Y8AsgTpgAmY7PhCfg==")).to.equal("d41d8cd98f00b204e9800998ecf8427e");
    expect(() => md5Hex("AAAA")).to.throw(StorageError, /not an MD5/);
  });
});

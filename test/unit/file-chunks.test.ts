import { expect } from "chai";
import { writeFileSync } from "fs";
import { join } from "path";
import { gzipSync } from "zlib";
import { readFileChunks } from "../../io/sources/file-chunks";
import { FileSource } from "../../io/sources/file-source";
import { LineChunk } from "../../transforms/core/chunk";
import { tempDir } from "../helpers";

/** Each line of the chunks with its file and number, as dead letters name them (file:line). */
const numbered = (chunks: readonly LineChunk[]): string[] =>
  chunks.flatMap((c) => Buffer.from(c.data).toString("utf8").replace(/\n$/, "").split("\n").map((line, i) => `${c.source}:${c.firstLine + i}\t${line}`));

describe("readFileChunks: a file read inside a DoFn (portable runners)", () => {
  const dir = tempDir();
  const lines = Array.from({ length: 5000 }, (_v, i) => `tt${String(i).padStart(7, "0")}\tmovie\tTitle ${i}${i % 7 === 0 ? " ü" : ""}`);
  const text = `${lines.join("\n")}\nno newline at the end`;

  for (const gz of [false, true]) {
    it(`cuts ${gz ? "a gzip" : "a plain"} file into chunks of whole lines, numbered as the direct runner's reader numbers them`, async () => {
      const path = join(dir, gz ? "title.basics.tsv.gz" : "title.basics.tsv");
      writeFileSync(path, gz ? gzipSync(text) : text);
      const direct: LineChunk[] = [];
      for await (const chunk of new FileSource([path], 4096).chunks()) direct.push(chunk);
      const inDoFn = [...readFileChunks(path, { chunkBytes: 4096 })];
      expect(inDoFn.length).to.be.greaterThan(3);
      expect(numbered(inDoFn)).to.deep.equal(numbered(direct));
      expect(numbered(inDoFn)).to.have.length(lines.length + 1);
      // Whole lines only: every chunk but the last ends with a newline.
      for (const chunk of inDoFn.slice(0, -1)) expect(chunk.data[chunk.data.length - 1]).to.equal(10);
    });
  }

  it("fails on a gzip file cut short, after the lines before the damage", () => {
    const path = join(dir, "cut.tsv.gz");
    const whole = gzipSync(text);
    writeFileSync(path, whole.subarray(0, Math.floor(whole.length / 2)));
    const read: LineChunk[] = [];
    expect(() => {
      for (const chunk of readFileChunks(path, { chunkBytes: 1024 })) read.push(chunk);
    }).to.throw(/cut.tsv.gz: damaged gzip data/);
    expect(read.length).to.be.greaterThan(0);
  });
});

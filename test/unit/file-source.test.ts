import { expect } from "chai";
import { writeFileSync } from "fs";
import { join } from "path";
import { gzipSync } from "zlib";
import { FileSource, resolveInputs } from "../../io/sources/file-source";
import { LineChunk } from "../../transforms/core/chunk";
import { tempDir } from "../helpers";

async function collect(source: FileSource): Promise<LineChunk[]> {
  const chunks: LineChunk[] = [];
  for await (const chunk of source.chunks()) chunks.push(chunk as LineChunk);
  return chunks;
}

/** Every line with the number the chunks say it has. */
function numbered(chunks: LineChunk[]): [string, number, string][] {
  const out: [string, number, string][] = [];
  for (const chunk of chunks) {
    const lines = Buffer.from(chunk.data).toString("utf8").split("\n");
    lines.pop(); // the text after the last newline is empty: chunks hold whole lines
    lines.forEach((line, i) => out.push([chunk.source, chunk.firstLine + i, line]));
  }
  return out;
}

describe("FileSource", () => {
  const dir = tempDir();
  const lines = Array.from({ length: 500 }, (_, i) => (i % 7 === 3 ? "" : `{"n":${i + 1},"pad":"${"x".repeat(i % 50)}"}`));
  const text = lines.join("\n") + "\n";
  const plain = join(dir, "a.jsonl");
  writeFileSync(plain, text);
  writeFileSync(join(dir, "b.jsonl.gz"), gzipSync(text));

  it("cuts a file into chunks of whole lines and numbers them across chunk boundaries", async () => {
    const chunks = await collect(new FileSource([plain], 256));
    expect(chunks.length).to.be.greaterThan(20);
    for (const chunk of chunks) expect(chunk.data[chunk.data.length - 1]).to.equal(10);
    expect(numbered(chunks)).to.deep.equal(lines.map((line, i) => [plain, i + 1, line]));
  });

  it("reads gzip files the same way", async () => {
    const gz = join(dir, "b.jsonl.gz");
    expect(numbered(await collect(new FileSource([gz], 300)))).to.deep.equal(lines.map((line, i) => [gz, i + 1, line]));
  });

  it("keeps a line longer than the chunk size whole, and a last line without newline", async () => {
    const path = join(dir, "long.jsonl");
    writeFileSync(path, `${"y".repeat(1000)}\nshort\nlast`);
    const chunks = await collect(new FileSource([path], 64));
    expect(numbered(chunks).map((l) => l[2].length)).to.deep.equal([1000, 5]);
    expect(Buffer.from(chunks[chunks.length - 1].data).toString()).to.equal("last");
  });

  it("expands globs in sorted order and rejects inputs that match nothing", async () => {
    expect(await resolveInputs(join(dir, "*.jsonl*"))).to.deep.equal([plain, join(dir, "b.jsonl.gz"), join(dir, "long.jsonl")].sort());
    await resolveInputs(join(dir, "*.csv")).then(() => expect.fail("resolved"), (e) => expect(e.message).to.match(/no files match/));
    await resolveInputs(join(dir, "missing.jsonl")).then(() => expect.fail("resolved"), (e) => expect(e.message).to.match(/no such file/));
    await resolveInputs(dir).then(() => expect.fail("resolved"), (e) => expect(e.message).to.match(/not a file/));
  });

  it("reads a truncated or corrupt gzip file up to the damage, names the file and the compressed byte offset, and still reads the other files", async () => {
    const gz = gzipSync(Buffer.from(text.repeat(40)));
    const truncated = join(dir, "truncated.jsonl.gz");
    writeFileSync(truncated, gz.subarray(0, gz.length >> 1));
    const corrupt = join(dir, "corrupt.jsonl.gz");
    const damaged = Buffer.from(gz);
    damaged.fill(0xff, 100, 110);
    writeFileSync(corrupt, damaged);
    const source = new FileSource([truncated, corrupt, plain], 256);
    const read = numbered(await collect(source));
    expect(read.filter((l) => l[0] === plain)).to.have.length(lines.length);
    expect(read.filter((l) => l[0] === truncated).length).to.be.greaterThan(0);
    expect(source.damaged).to.have.length(2);
    expect(source.damaged[0], source.damaged[0]).to.match(new RegExp(`^${truncated}: gzip data ends early, at byte ${gz.length >> 1} \\(a truncated file\\); \\d+ lines before it were read$`));
    expect(source.damaged[1]).to.match(new RegExp(`^${corrupt}: damaged gzip data at compressed byte \\d+ `));
  });
});

import { LineChunk } from "../../transforms/core/chunk";
import { DEFAULT_CHUNK_BYTES } from "./file-source";
import { nowMicros, Source } from "./source";

/** Records made by a generator in the process: the embedded sample data. Records are `name:n`. */
export class GeneratedSource implements Source {
  constructor(readonly description: string, private readonly lines: () => Iterable<string>, private readonly chunkBytes = DEFAULT_CHUNK_BYTES) {}

  async *chunks(): AsyncGenerator<LineChunk> {
    let batch: string[] = [];
    let bytes = 0;
    let firstLine = 1;
    const emit = (): LineChunk => {
      const data = Buffer.from(batch.join("\n") + "\n");
      const chunk: LineChunk = { kind: "lines", source: this.description, firstLine: firstLine, data, receivedAt: nowMicros() };
      firstLine += batch.length;
      batch = [];
      bytes = 0;
      return chunk;
    };
    for (const line of this.lines()) {
      batch.push(line);
      bytes += line.length + 1;
      if (bytes >= this.chunkBytes) yield emit();
    }
    if (batch.length > 0) yield emit();
  }

  async acknowledge(): Promise<void> {
    // Generated data can be generated again: nothing to acknowledge.
  }
}

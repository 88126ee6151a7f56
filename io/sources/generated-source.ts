import { LineChunk } from "../../transforms/core/chunk";
import { DEFAULT_CHUNK_BYTES } from "./file-source";
import { lineChunk, Source } from "./source";

/** Records made by a generator in the process: the embedded sample data. Records are `name:n`. */
export class GeneratedSource implements Source {
  readonly bounded = true;

  constructor(readonly description: string, private readonly lines: () => Iterable<string>, private readonly chunkBytes = DEFAULT_CHUNK_BYTES) {}

  async *chunks(): AsyncGenerator<LineChunk> {
    let batch: string[] = [];
    let bytes = 0;
    let firstLine = 1;
    let offset = 0;
    const emit = (): LineChunk => {
      const data = Buffer.from(batch.join("\n") + "\n");
      const chunk = lineChunk(this.description, offset, firstLine, data, false);
      firstLine += batch.length;
      offset += data.length;
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

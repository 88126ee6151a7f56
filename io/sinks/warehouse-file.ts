import { open, stat } from "fs/promises";

/** DuckDB's database files carry this magic after an 8-byte checksum. */
const DUCKDB_MAGIC = Buffer.from("DUCK");
const MAGIC_OFFSET = 8;

/**
 * Why `path` cannot be a DuckDB warehouse, or undefined when it can (a DuckDB
 * file, or nothing yet: it is created). Checked before a run starts, so a
 * mistyped path (an input file, a directory) is refused instead of overwritten
 * or failing after the input was read.
 */
export async function warehouseFileProblem(path: string): Promise<string | undefined> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => (error.code === "ENOENT" ? null : error));
  if (info === null) return undefined;
  if (info instanceof Error) return `--warehouse ${path}: cannot be read (${info.code ?? info.message})`;
  if (info.isDirectory()) return `--warehouse ${path} is a directory: give a DuckDB file, e.g. ${path.replace(/\/+$/, "")}/warehouse.duckdb`;
  if (!info.isFile()) return `--warehouse ${path} is not a regular file: give a DuckDB file`;
  const header = Buffer.alloc(MAGIC_OFFSET + DUCKDB_MAGIC.length);
  const file = await open(path, "r").catch((error: NodeJS.ErrnoException) => error);
  if (file instanceof Error) return `--warehouse ${path}: cannot be read (${file.code ?? file.message})`;
  try {
    const { bytesRead } = await file.read(header, 0, header.length, 0);
    if (bytesRead < header.length || !header.subarray(MAGIC_OFFSET).equals(DUCKDB_MAGIC)) {
      return `--warehouse ${path} exists and is not a DuckDB file: give a new path or an existing warehouse`;
    }
  } finally {
    await file.close();
  }
  return undefined;
}

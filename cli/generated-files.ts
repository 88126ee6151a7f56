import { mkdir, writeFile } from "fs/promises";
import { join } from "path";
import { commandLine } from "./parser";

/** A generated file: its name in its directory and its text. */
export interface GeneratedFile {
  readonly name: string;
  readonly text: string;
}

/** Where generated files live and what they are generated from, for the messages. */
interface GeneratedDir {
  readonly dir: string;
  /** What regenerates them. */
  readonly command: string;
  /** What they are generated from ("the schema source"). */
  readonly source: string;
  /** What each file belongs to ("table"). */
  readonly owner: string;
}

/**
 * What is wrong with the generated files present (name -> text) against what
 * their source generates: missing, stale or orphaned files, each with what to
 * do. Shared by `npm run schemas` and `npm run templates`.
 */
export function fileProblems(where: GeneratedDir, expected: readonly GeneratedFile[], present: ReadonlyMap<string, string>): string[] {
  const { dir, command } = where;
  const problems: string[] = [];
  for (const file of expected) {
    const path = join(dir, file.name);
    const text = present.get(file.name);
    if (text === undefined) problems.push(`${path} is missing: run ${command}`);
    else if (text !== file.text) problems.push(`${path} is stale (${where.source} changed): run ${command}`);
  }
  const names = new Set(expected.map((f) => f.name));
  for (const name of present.keys()) {
    if (!names.has(name)) problems.push(`${join(dir, name)} belongs to no ${where.owner}: remove it (or run ${command} after restoring its ${where.owner})`);
  }
  return problems;
}

/**
 * The main of a generating command (`npm run schemas`, `npm run templates`):
 * refuses arguments (it takes none), then writes every file into `dir` (from
 * the repository root) and says so.
 */
export async function writeGeneratedFiles(argv: readonly string[], script: string, dir: string, files: readonly GeneratedFile[]): Promise<void> {
  commandLine(argv, script, `$0\n\nRegenerates ${dir}/ from the code.`).strict().parseSync();
  const root = join(__dirname, "..", "..");
  await mkdir(join(root, dir), { recursive: true });
  for (const file of files) {
    const path = join(dir, file.name);
    await writeFile(join(root, path), file.text);
    process.stdout.write(`wrote ${path}\n`);
  }
}

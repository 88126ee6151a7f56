/** A Dockerfile as its instructions, enough to check what it copies and from where. */

export interface Instruction {
  readonly keyword: string;
  /** The arguments, flags (--from=...) removed. */
  readonly args: string[];
  readonly flags: Record<string, string>;
  readonly line: number;
}

export interface Stage {
  readonly image: string;
  readonly name?: string;
  readonly instructions: Instruction[];
}

/** Splits a shell-form or JSON-form argument list (no quoting beyond JSON arrays and plain words). */
function splitArgs(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith("[")) return JSON.parse(trimmed) as string[];
  return trimmed.split(/\s+/).filter((w) => w !== "");
}

/** Parses a Dockerfile: comments, line continuations, flags; throws on an unknown instruction. */
export function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const known = new Set(["FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"]);
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i];
    if (line.trim() === "" || line.trim().startsWith("#")) continue;
    while (line.endsWith("\\")) {
      i++;
      if (i >= lines.length) throw new Error(`line ${start + 1}: continuation at the end of the file`);
      if (lines[i].trim().startsWith("#")) continue;
      line = `${line.slice(0, -1)} ${lines[i]}`;
    }
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (match === null) throw new Error(`line ${start + 1}: not an instruction: ${line}`);
    const keyword = match[1].toUpperCase();
    if (!known.has(keyword)) throw new Error(`line ${start + 1}: unknown instruction ${keyword}`);
    const words = keyword === "RUN" || keyword === "ENV" || keyword === "CMD" || keyword === "ENTRYPOINT" ? [match[2]] : splitArgs(match[2]);
    const flags: Record<string, string> = {};
    const args: string[] = [];
    for (const word of words) {
      const flag = /^--([a-z-]+)=(.*)$/.exec(word);
      if (flag && keyword !== "RUN" && keyword !== "ENV") flags[flag[1]] = flag[2];
      else args.push(word);
    }
    const instruction: Instruction = { keyword, args, flags, line: start + 1 };
    if (keyword === "FROM") {
      const as = args.findIndex((a) => a.toUpperCase() === "AS");
      stages.push({ image: args[0], name: as >= 0 ? args[as + 1] : undefined, instructions: [] });
    } else if (stages.length === 0) {
      if (keyword !== "ARG") throw new Error(`line ${start + 1}: ${keyword} before FROM`);
      const eq = args[0].indexOf("=");
      globalArgs[eq < 0 ? args[0] : args[0].slice(0, eq)] = eq < 0 ? "" : args[0].slice(eq + 1);
    } else {
      stages[stages.length - 1].instructions.push(instruction);
    }
  }
  return { args: globalArgs, stages };
}

/** The value ENV sets for `name` in a stage (`NAME=value` pairs, quotes removed). */
export function envValue(stage: Stage, name: string): string | undefined {
  let found: string | undefined;
  for (const instruction of stage.instructions.filter((i) => i.keyword === "ENV")) {
    for (const match of instruction.args[0].matchAll(/([A-Za-z_][A-Za-z0-9_]*)=('[^']*'|"[^"]*"|\S*)/g)) {
      if (match[1] === name) found = match[2].replace(/^'(.*)'$/s, "$1").replace(/^"(.*)"$/s, "$1");
    }
  }
  return found;
}

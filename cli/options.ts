/**
 * Flags on the command line: the yargs declaration of each option spec, and
 * the parsed values checked against the specs (pipelines/options.ts).
 */
import { Options } from "yargs";
import { appliesTo, checkOption, isPortable, OptionSpec, OptionValues, Runner } from "../pipelines/options";
import { UsageError } from "./errors";

/** Its default depends on the runner (or on another flag), so pickOptions applies it, not yargs: a flag given by hand can be told apart. */
const defaultedLater = (spec: OptionSpec): boolean => Boolean(spec.onlyWith || spec.runners || spec.requiredBy || spec.portable);

/**
 * The yargs declaration of a flag. Numbers and choices are checked by
 * `checkOption`, not yargs, so every bad value gets the same one-line message
 * (yargs turns "abc" into NaN and prints choices over several lines).
 */
export function yargsOption(spec: OptionSpec): Options {
  const choices = spec.choices ? ` [choices: ${spec.choices.join(", ")}]` : "";
  const conditionalDefault = defaultedLater(spec) && spec.default !== undefined ? ` [default: ${spec.default}]` : "";
  return {
    // No yargs type for numbers: it would turn "abc" into NaN; its own number parsing keeps "abc" as text.
    type: spec.type === "number" ? undefined : spec.type,
    describe: spec.description + choices + conditionalDefault,
    // A `default` key, even undefined, makes yargs drop a bare flag.
    ...(spec.bare === undefined ? { default: defaultedLater(spec) ? undefined : spec.default } : {}),
    requiresArg: spec.type !== "boolean" && spec.bare === undefined,
  };
}

/** "--a", "--a and --b", "--a, --b and --c" */
const flagList = (names: readonly string[]): string => {
  const flags = names.map((n) => `--${n}`);
  return flags.length === 1 ? flags[0] : `${flags.slice(0, -1).join(", ")} and ${flags[flags.length - 1]}`;
};

/**
 * The values of `specs` in parsed argv, each checked against the runner
 * (`--runner`, direct by default); the first problem throws its line as a
 * UsageError. Runner-dependent defaults are applied here; flags a runner
 * needs are checked here, so nothing starts without them.
 */
export function pickOptions(specs: readonly OptionSpec[], argv: Record<string, unknown>): OptionValues {
  const runner = typeof argv.runner === "string" ? argv.runner : "direct";
  const values: OptionValues = {};
  const missing: string[] = [];
  for (const spec of specs) {
    // A flag that may be given bare reaches here as `true` (it has no yargs type).
    const value = argv[spec.name] === true && spec.bare !== undefined ? spec.bare : argv[spec.name];
    if (!appliesTo(spec, runner)) {
      if (value !== undefined) throw new UsageError(`--${spec.name} applies to --runner=${spec.runners!.join("|")} only`);
      continue;
    }
    const problem = checkOption(spec, value, runner);
    if (problem) throw new UsageError(problem);
    if (value === undefined && spec.requiredBy?.includes(runner as Runner)) missing.push(spec.name);
    else if (value === undefined && defaultedLater(spec) && !spec.onlyWith) values[spec.name] = isPortable(runner) && spec.portable ? spec.portable.default : spec.default;
    else values[spec.name] = value as OptionValues[string];
  }
  if (missing.length > 0) throw new UsageError(`--runner=${runner} needs ${flagList(missing)}`);
  for (const spec of specs) {
    if (!spec.onlyWith || !appliesTo(spec, runner)) continue;
    const needed = spec.onlyWith;
    if (values[needed.option] !== needed.value) {
      if (values[spec.name] !== undefined) throw new UsageError(`--${spec.name} needs --${needed.option}=${needed.value}`);
    } else if (values[spec.name] === undefined) values[spec.name] = spec.default;
  }
  return values;
}

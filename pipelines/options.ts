/**
 * What a flag is, as data: the CLI's parser, `--help`, the Dataflow Flex
 * Template metadata and the types of the values are all derived from these
 * specs, so they cannot drift apart. Names follow Beam's own spelling
 * (`--runner`, `--project`, camelCase). A pipeline's own flags are specs of
 * this kind (its `options`); the flags every pipeline takes are the runners'
 * settings (runners/settings.ts).
 */

/** Where a pipeline runs: Beam's direct runner in this process, or a portable runner (runners/portable/). */
export const RUNNERS = ["direct", "dataflow", "flink", "universal"] as const;
export type Runner = (typeof RUNNERS)[number];
export type PortableRunner = Exclude<Runner, "direct">;
export const PORTABLE_RUNNERS: readonly PortableRunner[] = ["dataflow", "flink", "universal"];

export interface OptionSpec {
  readonly name: string;
  readonly type: "string" | "number" | "boolean";
  readonly description: string;
  readonly default?: string | number | boolean;
  readonly choices?: readonly string[];
  /** For numbers: whole numbers only. */
  readonly integer?: boolean;
  /** For numbers: the smallest accepted value. */
  readonly min?: number;
  /** For numbers: the largest accepted value. */
  readonly max?: number;
  /** For strings: a regular expression the whole value must match, and the rule it states, for the message. */
  readonly pattern?: { readonly regex: string; readonly rule: string };
  /** For strings, on some runners instead of `pattern` (a Dataflow job's --input is in Cloud Storage). */
  readonly patternOn?: { readonly [R in Runner]?: { readonly regex: string; readonly rule: string } };
  /**
   * On portable runners, the kind of job the flag configures: "streaming"
   * (the pipelines that read Pub/Sub) or "batch" (those over snapshot files,
   * the catalog); default: both. Given for the other kind, it is a usage
   * error, and it is no parameter of that kind's Flex Template.
   */
  readonly job?: "streaming" | "batch";
  /**
   * Only meaningful when another flag has a value: giving it otherwise is a
   * usage error, and its default applies only then.
   */
  readonly onlyWith?: { readonly option: string; readonly value: string };
  /**
   * Runners the flag applies to (default: every runner). Given with another
   * runner it is a usage error; its default applies on these runners only.
   */
  readonly runners?: readonly Runner[];
  /** Runners that cannot start without it (its default does not apply there): checked before anything starts. */
  readonly requiredBy?: readonly Runner[];
  /**
   * On the portable runners, when it differs from the direct runner: the
   * values allowed there, and the default; `on`: the values allowed on some
   * portable runners instead.
   */
  readonly portable?: { readonly choices?: readonly string[]; readonly default: string | boolean; readonly on?: Partial<Record<PortableRunner, readonly string[]>> };
  /**
   * "environment": not a Flex Template parameter, because `gcloud dataflow
   * flex-template run` sets it with its own flags (--region, --temp-location,
   * ...) and the launcher passes it on, or the launcher image sets it.
   * "none": not a parameter either, because it means nothing on Dataflow
   * (the generated sample's size, read only without --input).
   */
  readonly template?: "environment" | "none";
  /** Configures this program, not the job: portable runners do not pass it to the SDK. */
  readonly local?: true;
  /** The value a flag takes when given bare (`--dashboard` alone); without it the flag needs a value. */
  readonly bare?: number;
}

/** Flag values by name, before their types are known (as parsed). */
export type OptionValues = Record<string, string | number | boolean | undefined>;

/** Identity helper that checks a literal (declared `as const`) against the spec type, keeping its literal types for `ValuesOn`. */
export const optionSpecs = <T extends readonly OptionSpec[]>(specs: T): T => specs;

// The types of the values, inferred from the specs as the parser fills them in
// (pickOptions, cli/options.ts), the way schemas/table.ts infers row types.

type Scalar<S extends OptionSpec> = S["type"] extends "number" ? number : S["type"] extends "boolean" ? boolean : string;
type ChoiceOr<S extends OptionSpec> = S extends { readonly choices: readonly (infer C)[] } ? C : Scalar<S>;
/** One of the flag's choices on runner R, or any value of its type. */
type ValueOn<S extends OptionSpec, R extends Runner> = [R] extends [PortableRunner]
  ? S extends { readonly portable: { readonly on: { readonly [K in R]: readonly (infer C)[] } } }
    ? C
    : S extends { readonly portable: { readonly choices: readonly (infer C)[] } }
    ? C
    : ChoiceOr<S>
  : ChoiceOr<S>;
type AppliesOn<S extends OptionSpec, R extends Runner> = S extends { readonly runners: readonly (infer A)[] } ? ([R] extends [A] ? true : false) : true;
/** Whether the flag always has a value on R: a default, or R does not start without it. */
type AlwaysOn<S extends OptionSpec, R extends Runner> = S extends { readonly default: string | number | boolean }
  ? true
  : S extends { readonly requiredBy: readonly (infer Q)[] }
  ? [R] extends [Q]
    ? true
    : false
  : false;
/** The flags that apply on R and do not depend on another flag, those that always have a value (Always) or those that may not. */
type Unconditional<Specs extends readonly OptionSpec[], R extends Runner, Always extends boolean> = Exclude<
  Specs[number],
  { readonly onlyWith: object }
> extends infer S
  ? S extends OptionSpec
    ? AppliesOn<S, R> extends true
      ? AlwaysOn<S, R> extends Always
        ? S
        : never
      : never
    : never
  : never;

/** The values flag O takes on R, other than V. */
type OtherValues<Specs extends readonly OptionSpec[], O extends string, V, R extends Runner> = Exclude<ValueOn<Extract<Specs[number], { readonly name: O }>, R>, V>;

/**
 * A flag that means something only when flag O has value V: present (with its
 * default, if any) when O is V, absent otherwise. A union discriminated on O,
 * so narrowing O narrows this flag.
 */
type Conditional<Specs extends readonly OptionSpec[], S extends OptionSpec, R extends Runner> = S extends {
  readonly onlyWith: { readonly option: infer O extends string; readonly value: infer V };
}
  ?
      | ({ readonly [K in O]: V } & (AlwaysOn<S, R> extends true ? { readonly [K in S["name"]]: ValueOn<S, R> } : { readonly [K in S["name"]]?: ValueOn<S, R> }))
      | ([OtherValues<Specs, O, V, R>] extends [never] ? never : { readonly [K in O]: OtherValues<Specs, O, V, R> } & { readonly [K in S["name"]]?: undefined })
  : never;
// Each conditional flag is a union; boxed, so that intersecting the flags intersects their unions instead of their members.
type Unbox<T> = T extends { box: infer B } ? B : never;
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type Conditionals<Specs extends readonly OptionSpec[], R extends Runner> = [Extract<Specs[number], { readonly onlyWith: object }>] extends [never]
  ? unknown
  : Unbox<UnionToIntersection<Extract<Specs[number], { readonly onlyWith: object }> extends infer S ? (S extends OptionSpec ? (AppliesOn<S, R> extends true ? { box: Conditional<Specs, S, R> } : never) : never) : never>>;

/** The values of `Specs` on runner R, as the parser produces them. */
export type ValuesOn<Specs extends readonly OptionSpec[], R extends Runner> = {
  readonly [S in Unconditional<Specs, R, true> as S["name"]]: ValueOn<S, R>;
} & { readonly [S in Unconditional<Specs, R, false> as S["name"]]?: ValueOn<S, R> } & Conditionals<Specs, R>;

/** A pipeline's options: the values of its own flags (which take no runner-specific rules). */
export type OptionsOf<Specs extends readonly OptionSpec[]> = ValuesOn<Specs, Runner>;

export const isPortable = (runner: unknown): runner is PortableRunner => PORTABLE_RUNNERS.includes(runner as PortableRunner);

/** The values a flag accepts on a runner. */
export function choicesOn(spec: OptionSpec, runner: string): readonly string[] | undefined {
  if (!isPortable(runner) || !spec.portable?.choices) return spec.choices;
  return spec.portable.on?.[runner] ?? spec.portable.choices;
}

/** The rule a string flag's value follows on a runner. */
export const patternOn = (spec: OptionSpec, runner: string): OptionSpec["pattern"] => spec.patternOn?.[runner as Runner] ?? spec.pattern;

/** Whether a flag means anything on a runner. */
export const appliesTo = (spec: OptionSpec, runner: string): boolean => spec.runners === undefined || spec.runners.includes(runner as Runner);

/** A flag value that is not acceptable, as the one line the CLI prints. */
export function checkOption(spec: OptionSpec, value: unknown, runner: string = "direct"): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return `--${spec.name} was given ${value.length} times; give it once`;
  if (spec.type === "number") {
    // yargs keeps a number it cannot hold exactly as text: say so, not that it is no number.
    if (typeof value === "string" && /^[-+]?\d+(\.\d*)?(e[-+]?\d+)?$/i.test(value)) {
      return `--${spec.name} is too ${value.startsWith("-") ? "small" : "large"}: ${value} (numbers must lie within ±${Number.MAX_SAFE_INTEGER})`;
    }
    if (typeof value !== "number" || !Number.isFinite(value)) return `--${spec.name} must be a number, got ${JSON.stringify(value)}`;
    if (spec.integer && !Number.isInteger(value)) return `--${spec.name} must be a whole number, got ${value}`;
    if (spec.min !== undefined && value < spec.min) return `--${spec.name} must be at least ${spec.min}, got ${value}`;
    if (spec.max !== undefined && value > spec.max) return `--${spec.name} must be at most ${spec.max}, got ${value}`;
  }
  if (spec.type === "string" && typeof value !== "string") return `--${spec.name} takes a value`;
  const pattern = patternOn(spec, runner);
  if (pattern && !new RegExp(pattern.regex).test(value as string)) {
    const where = pattern === spec.pattern ? "" : ` on --runner=${runner}`;
    return `--${spec.name} must be ${pattern.rule}${where}, got ${JSON.stringify(value)}`;
  }
  const choices = choicesOn(spec, runner);
  if (choices && !choices.includes(value as string)) {
    const where = choices === spec.choices ? "" : ` on --runner=${runner}`;
    return `--${spec.name} must be ${choices.length === 1 ? choices[0] : `one of ${choices.join(", ")}`}${where}, got ${JSON.stringify(value)}`;
  }
  return undefined;
}

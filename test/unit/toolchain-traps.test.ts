import { expect } from "chai";
import { readdirSync, readFileSync, statSync } from "fs";
import { join, relative } from "path";
import { getRegisteredModules } from "apache-beam/serialization";
import { PIPELINES } from "../../pipelines/registry";
import { PACKAGE_NAME } from "../../transforms/core/registry";
import "../../runners/direct/bundle";
import { ROOT } from "../helpers";

/**
 * Guards against the ts-closure-transform 0.1.7 defects every file in this
 * project is compiled through (docs/architecture.md, "Toolchain traps").
 */
function files(dir: string, ext: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "node_modules" || name.startsWith(".") ? [] : files(path, ext);
    return path.endsWith(ext) ? [path] : [];
  });
}

const SOURCE_DIRS = ["cli", "pipelines", "transforms", "io", "runners", "schemas", "samples", "publisher", "bench", "test"];

describe("toolchain traps", () => {
  it("no array-destructuring declaration (compiled to keep only the first element)", () => {
    const offenders = SOURCE_DIRS.flatMap((d) => files(join(ROOT, d), ".ts")).flatMap((path) =>
      readFileSync(path, "utf8")
        .split("\n")
        .map((line, i) => ({ line, at: `${relative(ROOT, path)}:${i + 1}` }))
        .filter(({ line }) => /^\s*(const|let|var)\s+\[/.test(line)),
    );
    expect(offenders.map((o) => o.at)).to.deep.equal([]);
  });

  it("no boxed variable used in shorthand properties (the object would get the box, not the value)", () => {
    const offenders: string[] = [];
    for (const path of SOURCE_DIRS.flatMap((d) => files(join(ROOT, "dist", d), ".js"))) {
      const code = readFileSync(path, "utf8").replace(/__closure = \(\) => \(\{[^}]*\}\)/g, "");
      for (const match of code.matchAll(/let (\w+) = \{ value: undefined \};/g)) {
        const name = match[1];
        const uses = code.match(new RegExp(`[{,]\\s*${name}\\s*[,}]`, "g")) ?? [];
        if (uses.length > 0) offenders.push(`${relative(ROOT, path)}: ${name}`);
      }
    }
    expect(offenders).to.deep.equal([]);
  });

  it("no computed property key in an object literal (imports used there are dropped)", () => {
    const offenders = SOURCE_DIRS.flatMap((d) => files(join(ROOT, d), ".ts")).filter((path) =>
      /[{,]\s*\[[A-Za-z_][\w.]*\]\s*:/.test(readFileSync(path, "utf8")),
    );
    expect(offenders.map((p) => relative(ROOT, p))).to.deep.equal([]);
  });

  it("every module registered for serialization can be required by its name, as a remote worker will", () => {
    const ours = getRegisteredModules().filter((name) => name.startsWith(`${PACKAGE_NAME}/`));
    expect(ours).to.include.members([`${PACKAGE_NAME}/transforms/core/parse-records`, `${PACKAGE_NAME}/pipelines/alerts/pipeline`]);
    for (const name of ours) expect(() => require.resolve(name), name).to.not.throw();
  });

  it("every pipeline is registered under its own name", () => {
    for (const key of Object.keys(PIPELINES)) expect(PIPELINES[key].name).to.equal(key);
  });
});

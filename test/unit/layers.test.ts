import { expect } from "chai";
import { readdirSync, readFileSync } from "fs";
import { join, posix, relative, sep } from "path";
import { ROOT } from "../helpers";

/**
 * The rule of the layers (docs/architecture.md): a folder imports from its
 * own layer and the layers below it, never from one above. Lowest first;
 * folders on one line share a layer.
 */
const LAYERS: readonly (readonly string[])[] = [
  ["schemas"],
  ["transforms"],
  ["io", "samples"],
  ["pipelines"],
  ["runners"],
  ["cli", "publisher"],
  ["bench"],
  ["test"],
];

const layerOf = (folder: string): number => LAYERS.findIndex((folders) => folders.includes(folder));

/** Folders that hold no TypeScript, or only what the build does not compile. */
const NOT_CODE = new Set(["dist", "docs", "node_modules", "templates", "terraform"]);

/** One import: the importing file and the imported module, both relative to the repository root. */
interface Import {
  readonly file: string;
  readonly module: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Every relative module a source file imports (import and export ... from, require, import()), resolved from the root. */
function importsOf(file: string, text: string): Import[] {
  const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\(\s*)["'](\.{1,2}\/[^"']*)["']/g)].map((m) => m[1]);
  return specifiers.map((specifier) => ({ file, module: posix.normalize(posix.join(posix.dirname(file), specifier)) }));
}

/** Imports that go up the layers: "file -> module (layer of file < layer of module)". */
function upwardImports(imports: readonly Import[]): string[] {
  return imports
    .filter((i) => layerOf(i.file.split("/")[0]) < layerOf(i.module.split("/")[0]))
    .map((i) => `${i.file} -> ${i.module} (${i.file.split("/")[0]} is below ${i.module.split("/")[0]})`);
}

const topFolders = (): string[] =>
  readdirSync(ROOT, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith(".") && !NOT_CODE.has(e.name))
    .map((e) => e.name);

const allImports = (): Import[] =>
  topFolders().flatMap((folder) =>
    sourceFiles(join(ROOT, folder)).flatMap((path) => importsOf(relative(ROOT, path).split(sep).join("/"), readFileSync(path, "utf8"))),
  );

describe("layers", () => {
  it("place every folder of TypeScript in a layer", () => {
    const unplaced = topFolders().filter((folder) => sourceFiles(join(ROOT, folder)).length > 0 && layerOf(folder) < 0);
    expect(unplaced, "add the folder to LAYERS here and to the rule in docs/architecture.md").to.deep.equal([]);
  });

  it("import downward only: no module imports one of a higher layer", () => {
    const imports = allImports();
    expect(imports.length).to.be.greaterThan(100); // the scan sees the tree
    expect(upwardImports(imports)).to.deep.equal([]);
  });

  it("would name an upward import, for every pair of layers", () => {
    for (let low = 0; low < LAYERS.length; low++) {
      for (let high = low + 1; high < LAYERS.length; high++) {
        for (const from of LAYERS[low]) {
          for (const to of LAYERS[high]) {
            const file = `${from}/a/file.ts`;
            const found = upwardImports(importsOf(file, `import { x } from "${posix.relative(posix.dirname(file), `${to}/b/module`)}";`));
            expect(found, `${from} -> ${to}`).to.have.length(1);
            expect(upwardImports(importsOf(`${to}/a/file.ts`, `import { x } from "../../${from}/b/module";`)), `${to} -> ${from}`).to.deep.equal([]);
          }
        }
      }
    }
  });
});

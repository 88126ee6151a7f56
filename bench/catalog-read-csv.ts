import { duckdbReadCsv } from "./catalog";

/** Child process of the catalog benchmark: DuckDB's read_csv alone, so its peak RSS is its own. */
duckdbReadCsv(process.argv[2], process.argv[3]).catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});

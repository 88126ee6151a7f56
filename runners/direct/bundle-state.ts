import { Row } from "../../schemas/table";
import { RawChunk } from "../../transforms/core/chunk";
import { CatalogSnapshot } from "../../transforms/catalog/titles";

/**
 * The in-process edges of a direct-runner bundle: the chunks the read step
 * emits, the catalog snapshot its side-input read emits, and the row batches
 * the write step collects. Registered for
 * serialization so Beam passes it by reference instead of copying it.
 */
export const bundle = {
  chunks: [] as RawChunk[],
  catalog: undefined as CatalogSnapshot | undefined,
  outputs: {} as Record<string, Row[][]>,
};

import { registerModule } from "../core/registry";
import * as beam from "apache-beam";
import { SideInputParam } from "apache-beam/transforms/pardo";
import { OttEvent } from "../../schemas/ott";
import { CatalogSnapshot, catalogTitles, CatalogTitle, EMPTY_CATALOG } from "../catalog/titles";

export interface CatalogTitlesContext {
  /** The Beam side input, or a snapshot fixed at submission (its `lookup` gives it). */
  catalog: SideInputParam<CatalogSnapshot, Iterable<CatalogSnapshot>, CatalogSnapshot> | { lookup(): CatalogSnapshot };
}

/**
 * The event with its title and genre from the catalog where it has none of
 * its own (a copy: the event itself is what user_events stores). An event's
 * own values always win; maturity_rating stays the event's, since IMDb's
 * catalog has none.
 */
export function withCatalogTitle(event: OttEvent, titles: ReadonlyMap<string, CatalogTitle>): OttEvent {
  const content = event.content;
  if (content !== null && content.title !== null && content.genre !== null) return event;
  const entry = titles.get(event.content_id);
  if (entry === undefined) return event;
  const title = content?.title ?? entry.title;
  const genre = content?.genre ?? entry.genre;
  if (title === (content?.title ?? null) && genre === (content?.genre ?? null)) return event;
  return {
    ...event,
    content: { title: title, type: content?.type ?? null, genre: genre, maturity_rating: content?.maturity_rating ?? null, duration_seconds: content?.duration_seconds ?? null },
  };
}

export function withCatalogTitles(events: OttEvent[], context: CatalogTitlesContext): OttEvent[] {
  const titles = catalogTitles(context.catalog.lookup());
  return titles.size === 0 ? events : events.map((e) => withCatalogTitle(e, titles));
}

/**
 * PTransform: each batch of events with titles and genres from the catalog,
 * read as a Beam side input (one snapshot, in the global window; an empty
 * catalog when the collection is empty), or from a snapshot fixed at
 * submission. Which snapshot a batch sees is the runner's matter: the one
 * current when it is processed.
 */
export function titlesFromCatalog(events: beam.PCollection<OttEvent[]>, catalog: beam.PCollection<CatalogSnapshot> | CatalogSnapshot): beam.PCollection<OttEvent[]> {
  const param = catalog instanceof beam.PCollection ? detachedSideInput(catalog) : fixedCatalog(catalog);
  return events.map(beam.withName("TitlesFromCatalog", withCatalogTitles), { catalog: param });
}

/** A snapshot the step carries in its parameters, read like the side input. */
function fixedCatalog(snapshot: CatalogSnapshot): { lookup(): CatalogSnapshot } {
  return { lookup: () => snapshot };
}

/**
 * The SDK's singleton side input, holding only its collection's id. The SDK
 * serializes the parameter with the DoFn, its own collection included
 * (through the prototype of the copy it makes), and so the whole pipeline:
 * once that holds a cross-language step, serialization fails ("Cannot
 * serialize native code": the expansion's Buffers). Applying the ParDo needs
 * only the id.
 */
function detachedSideInput(catalog: beam.PCollection<CatalogSnapshot>): CatalogTitlesContext["catalog"] {
  const param = beam.singletonSideInput(catalog, EMPTY_CATALOG);
  const id = catalog.getId();
  (param as unknown as { pcoll: { getId(): string } }).pcoll = { getId: () => id };
  return param;
}

registerModule("transforms/ott/catalog-titles", module.exports);

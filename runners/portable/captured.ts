import { Row } from "../../schemas/table";

/**
 * The rows LOOPBACK workers hand to this process, by table, until the driver
 * takes them for the sink (runners/portable/local-sink.ts). The workers run
 * in this process, so this module is the edge between the job and the sink;
 * registered for serialization, so the DoFns reach this very object.
 */
export const captured = {
  tables: new Map<string, Row[]>(),
};

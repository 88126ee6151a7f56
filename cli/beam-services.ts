import { BeamServicesError, installServices, servicesDir } from "../runners/portable/beam-services";

/**
 * `npm run beam-services`: resolves Beam's Flink job server and expansion
 * service (Java, from Maven Central) into the cache that `--runner=flink`
 * and `npm run test:flink` use. The first run downloads about 190 MB;
 * later runs find the cache and return at once.
 */
function main(): void {
  if (process.argv.length > 2) {
    process.stderr.write("error: npm run beam-services takes no arguments (the cache is $BEAM_SERVICES_CACHE or .cache/beam-services)\n");
    process.exit(2);
  }
  try {
    const lib = installServices((line) => process.stderr.write(`${line}\n`));
    process.stdout.write(`Beam's Java services are in ${lib} (cache ${servicesDir()})\n`);
  } catch (error) {
    if (!(error instanceof BeamServicesError)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(1);
  }
}

main();

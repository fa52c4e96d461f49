/** Name and version of this package, as sent in `User-Agent` and the telemetry heartbeat. */
export const PACKAGE_NAME = 'axonflow-otel';
// Kept equal to package.json by a test; a JSON import would complicate the dual ESM/CJS build.
export const PACKAGE_VERSION = '0.1.0';

/**
 * Re-exports `errors/` (one file per error class), for the modules and tools that import
 * `client/errors.js`.
 */
export * from './errors/index.js';

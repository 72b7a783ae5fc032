/**
 * Redis worker registry: workers register themselves ({@linkcode WorkerRegistration}), the orchestrator discovers
 * them ({@linkcode WorkerDirectory}).
 *
 * @module
 */
export * from "./worker_record.ts";
export { WorkerRegistration, type WorkerRegistrationOptions } from "./registration.ts";
export {
  type DirectoryEventType,
  type DirectoryListener,
  WorkerDirectory,
  type WorkerDirectoryOptions,
} from "./directory.ts";

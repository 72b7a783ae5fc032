/**
 * The root logger category, shared by the loggers (`mod.ts`) and the sinks configured for it (`setup.ts`).
 *
 * @module
 */

/** Root category of every logger in this project. */
export const ROOT_CATEGORY = "voice";
/** Category of the audit stream below the root (see `audit.ts`): always JSON, always at info. */
export const AUDIT_CATEGORY = "audit";

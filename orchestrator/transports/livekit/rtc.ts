/**
 * Loads `@livekit/rtc-node` (the native WebRTC client the agent joins rooms with) once per process. The package
 * logs every FFI callback at debug level through its own pino logger unless `NODE_ENV=production`, which would
 * drown the orchestrator's JSON logs, so the variable is set (when unset) before the first import.
 *
 * `@livekit/rtc-node` talks to LiveKit from Rust: it needs `--allow-ffi` and is not bound by `--allow-net`.
 *
 * @module
 */

/** The module's exports. */
export type Rtc = typeof import("@livekit/rtc-node");

let loading: Promise<Rtc> | undefined;

/** Returns the loaded module (imported on the first call). */
export function loadRtc(): Promise<Rtc> {
  loading ??= (async () => {
    try {
      if (!Deno.env.get("NODE_ENV")) Deno.env.set("NODE_ENV", "production");
    } catch {
      // Without env permission the library keeps its debug logging; that is noise, not an error.
    }
    return await import("@livekit/rtc-node");
  })();
  return loading;
}

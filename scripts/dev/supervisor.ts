/**
 * Runs a set of services as child processes: each starts as soon as the services it depends on are healthy, its
 * output is prefixed into the stack output, and it counts as started once its health probe passes. Stopping is
 * graceful and in reverse dependency order: a service gets SIGTERM once everything that depends on it has exited,
 * then SIGKILL after its stop timeout. Every service runs in its own process group, so no grandchild survives.
 *
 * @module
 */
import { describeProbe, type HealthProbe, runProbe } from "./health.ts";
import { forEachLine, type StackOutput } from "./output.ts";
import { signalGroup, stopGroup } from "./process_group.ts";

/** One service of a stack. */
export interface ServiceSpec {
  /** Short name, used as the output prefix. */
  name: string;
  /** Program and arguments. */
  command: string[];
  /** Extra environment (on top of the runner's own). */
  env?: Record<string, string>;
  /** Working directory (default: the runner's). */
  cwd?: string;
  /** Probe that says the service is ready; without one it is ready once spawned. */
  health?: HealthProbe;
  /** Services that must be healthy before this one starts. */
  dependsOn?: string[];
  /** How long the service may take to become healthy (default 120 s). */
  startTimeoutMs?: number;
  /** How long it may take to exit after SIGTERM before SIGKILL (default 4 s). */
  stopTimeoutMs?: number;
}

/** Why the stack did not come up, or why it went down. */
export interface ServiceFailure {
  /** The service that failed. */
  name: string;
  /** What happened, e.g. "exited with code 1 during start". */
  reason: string;
}

interface Running {
  spec: ServiceSpec;
  child: Deno.ChildProcess | null;
  /** Resolves when the child exited (immediately for a service that never started). */
  exited: Promise<Deno.CommandStatus | null>;
  /** Output pumps; awaited so no line is lost before the runner exits. */
  pumps: Promise<void>[];
}

const DEFAULT_START_TIMEOUT_MS = 120_000;
const DEFAULT_STOP_TIMEOUT_MS = 4_000;

/** Checks names, dependencies and cycles; returns the problems found (empty when the stack is well formed). */
export function validateSpecs(specs: ServiceSpec[]): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const s of specs) {
    if (names.has(s.name)) problems.push(`service "${s.name}" is defined twice`);
    names.add(s.name);
    if (s.command.length === 0) problems.push(`service "${s.name}" has an empty command`);
  }
  for (const s of specs) {
    for (const d of s.dependsOn ?? []) {
      if (!names.has(d)) problems.push(`service "${s.name}" depends on "${d}", which is not in the stack`);
    }
  }
  const byName = new Map(specs.map((s) => [s.name, s]));
  const visit = (name: string, path: string[]): void => {
    if (path.includes(name)) {
      problems.push(`dependency cycle: ${[...path, name].join(" -> ")}`);
      return;
    }
    for (const d of byName.get(name)?.dependsOn ?? []) if (byName.has(d)) visit(d, [...path, name]);
  };
  for (const s of specs) visit(s.name, []);
  return [...new Set(problems)];
}

/** Starts, watches and stops one stack of services. */
export class Supervisor {
  readonly #specs: ServiceSpec[];
  readonly #output: StackOutput;
  readonly #running = new Map<string, Running>();
  readonly #healthy = new Map<string, PromiseWithResolvers<void>>();
  readonly #healthyNames = new Set<string>();
  readonly #abort = new AbortController();
  #stopping = false;
  #firstFailure: PromiseWithResolvers<ServiceFailure> = Promise.withResolvers();
  /** Called with each service's process-group id as it starts (the detached runner records them). */
  onSpawn: (name: string, pgid: number) => void = () => {};

  constructor(specs: ServiceSpec[], output: StackOutput) {
    const problems = validateSpecs(specs);
    if (problems.length) throw new Error(`bad stack definition:\n  ${problems.join("\n  ")}`);
    this.#specs = specs;
    this.#output = output;
    for (const s of specs) {
      const deferred = Promise.withResolvers<void>();
      deferred.promise.catch(() => {}); // a dependency failure is reported once, by the service that failed
      this.#healthy.set(s.name, deferred);
    }
  }

  /**
   * Resolves with the first failure: a service that could not start, or one that exited while the stack was not
   * being stopped. Never resolves for a stack that keeps running.
   */
  get failure(): Promise<ServiceFailure> {
    return this.#firstFailure.promise;
  }

  /** Starts every service; resolves true when all are healthy, false when one failed (see {@linkcode failure}). */
  async start(): Promise<boolean> {
    const results = await Promise.all(this.#specs.map((s) => this.#startOne(s).then(() => true, () => false)));
    return results.every(Boolean);
  }

  #fail(name: string, reason: string): void {
    this.#firstFailure.resolve({ name, reason });
    this.#abort.abort();
  }

  async #startOne(spec: ServiceSpec): Promise<void> {
    const healthy = this.#healthy.get(spec.name)!;
    try {
      await Promise.all((spec.dependsOn ?? []).map((d) => this.#healthy.get(d)!.promise));
      if (this.#abort.signal.aborted) throw new Error("aborted");
      const running = this.#spawn(spec);
      await this.#waitHealthy(spec, running);
      healthy.resolve();
    } catch (error) {
      healthy.reject(error);
      throw error;
    }
  }

  #spawn(spec: ServiceSpec): Running {
    this.#output.line("dev", `starting ${spec.name}: ${spec.command.join(" ")}`);
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(spec.command[0], {
        args: spec.command.slice(1),
        env: spec.env,
        cwd: spec.cwd,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        detached: true, // own session and process group: signals reach the whole subtree, the terminal's do not
      }).spawn();
    } catch (error) {
      const reason = `could not start ${spec.command[0]}: ${error instanceof Error ? error.message : error}`;
      this.#fail(spec.name, reason);
      this.#running.set(spec.name, { spec, child: null, exited: Promise.resolve(null), pumps: [] });
      throw new Error(reason);
    }
    this.onSpawn(spec.name, child.pid);
    const pumps = [child.stdout, child.stderr].map((stream) =>
      forEachLine(stream, (line) => this.#output.line(spec.name, line)).catch(() => {})
    );
    const exited = child.status.then(async (status) => {
      await Promise.all(pumps);
      if (!this.#stopping) {
        const how = status.signal ? `was killed by ${status.signal}` : `exited with code ${status.code}`;
        this.#fail(spec.name, `${how}${this.#healthyNames.has(spec.name) ? "" : " during start"}`);
      }
      return status;
    });
    const running: Running = { spec, child, exited, pumps };
    this.#running.set(spec.name, running);
    return running;
  }

  async #waitHealthy(spec: ServiceSpec, running: Running): Promise<void> {
    if (!spec.health) {
      this.#healthyNames.add(spec.name);
      return;
    }
    const timeout = spec.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    const deadline = Date.now() + timeout;
    let exited = false;
    running.exited.then(() => exited = true);
    let last = "";
    while (!exited && !this.#abort.signal.aborted) {
      const result = await runProbe(spec.health, 2000);
      if (result.healthy) {
        this.#output.line("dev", `${spec.name} is healthy (${describeProbe(spec.health)})`);
        this.#healthyNames.add(spec.name);
        return;
      }
      last = result.detail;
      if (Date.now() > deadline) {
        const reason = `not healthy after ${Math.round(timeout / 1000)} s (${describeProbe(spec.health)}: ${last})`;
        this.#fail(spec.name, reason);
        throw new Error(reason);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${spec.name} stopped before it was healthy`);
  }

  /** Names of services that depend on `name`. */
  #dependents(name: string): string[] {
    return this.#specs.filter((s) => (s.dependsOn ?? []).includes(name)).map((s) => s.name);
  }

  /**
   * Stops everything gracefully: dependents first, each group SIGTERM then SIGKILL after its stop timeout.
   * `force` sends SIGKILL at once (a second Ctrl+C).
   */
  async stop(options: { force?: boolean } = {}): Promise<void> {
    this.#stopping = true;
    this.#abort.abort();
    if (options.force) {
      for (const pgid of this.groups) signalGroup(pgid, "SIGKILL");
    }
    const done = new Map<string, Promise<void>>();
    const stopOne = (name: string): Promise<void> => {
      let promise = done.get(name);
      if (promise) return promise;
      promise = (async () => {
        await Promise.all(this.#dependents(name).map(stopOne));
        const running = this.#running.get(name);
        if (!running?.child) return;
        const timeout = options.force ? 0 : running.spec.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
        const how = await stopGroup(running.child.pid, timeout);
        const status = await running.exited;
        if (!options.force) {
          const end = status?.signal ? status.signal : `code ${status?.code}`;
          this.#output.line("dev", `${name} stopped (${how === "killed" ? "SIGKILL after timeout" : end})`);
        }
      })();
      done.set(name, promise);
      return promise;
    };
    await Promise.all(this.#specs.map((s) => stopOne(s.name)));
  }

  /** Process-group ids of the services started so far. */
  get groups(): number[] {
    return [...this.#running.values()].flatMap((r) => r.child ? [r.child.pid] : []);
  }
}

/**
 * Fair sharing of one ASR engine between sessions. Every session ("owner") has its own lane of queued jobs; the next
 * job comes from the lane that has used the least engine time so far (start-time fair queuing: a lane that becomes
 * busy starts at the least-served busy lane's count, so idle time earns no credit). Finals go before partials, both
 * inside a lane and across lanes, because a final is what the user waits for. Ties go to the lane served longest ago.
 *
 * A lane holds at most `maxQueuedPerOwner` jobs. Past that, the lane's oldest queued partials are dropped (a newer
 * partial covers more audio anyway); finals are never dropped, so a session's backlog of finals is bounded only by its
 * own utterances, which the transport's real-time audio budget bounds. Why: with one queue in arrival order, a session
 * whose speech costs more compute than real time (noise that ends an utterance every half second, a large model on a
 * CPU) put every other session's final behind its whole backlog.
 *
 * @module
 */

/** Finals are served before partials. */
export type AsrJobClass = "final" | "partial";

/** A queued job and the lane it belongs to. */
export interface FairJob<T> {
  owner: string;
  jobClass: AsrJobClass;
  item: T;
}

interface Lane<T> {
  owner: string;
  /** Engine milliseconds charged to this lane (see `charge`). */
  served: number;
  /** When it was last picked (a counter), for ties. */
  lastPick: number;
  /** Jobs picked and not yet charged. */
  running: number;
  jobs: FairJob<T>[];
}

/** Default per-session backlog (queued jobs) before partials are dropped. */
export const DEFAULT_MAX_QUEUED_PER_OWNER = 4;

/** A fair queue of ASR jobs; see the module doc. */
export class FairAsrQueue<T> {
  readonly #lanes = new Map<string, Lane<T>>();
  #picks = 0;

  /** @param maxQueuedPerOwner queued jobs a lane may hold before its oldest partials are dropped (≥ 1). */
  constructor(readonly maxQueuedPerOwner = DEFAULT_MAX_QUEUED_PER_OWNER) {
    if (!Number.isInteger(maxQueuedPerOwner) || maxQueuedPerOwner < 1) {
      throw new RangeError(`maxQueuedPerOwner must be a positive integer, got ${maxQueuedPerOwner}`);
    }
  }

  /** Jobs queued in all lanes. */
  get size(): number {
    let n = 0;
    for (const lane of this.#lanes.values()) n += lane.jobs.length;
    return n;
  }

  /** Queues a job; returns the partials dropped to keep the owner's backlog bounded (oldest first). */
  add(owner: string, jobClass: AsrJobClass, item: T): T[] {
    let lane = this.#lanes.get(owner);
    if (!lane) {
      lane = { owner, served: this.#leastServed(), lastPick: 0, running: 0, jobs: [] };
      this.#lanes.set(owner, lane);
    } else if (lane.jobs.length === 0 && lane.running === 0) {
      lane.served = Math.max(lane.served, this.#leastServed(lane));
    }
    const job = { owner, jobClass, item };
    const at = jobClass === "final" ? lane.jobs.findIndex((j) => j.jobClass === "partial") : -1;
    if (at < 0) lane.jobs.push(job);
    else lane.jobs.splice(at, 0, job);
    const dropped: T[] = [];
    while (lane.jobs.length > this.maxQueuedPerOwner) {
      const oldest = lane.jobs.findIndex((j) => j.jobClass === "partial");
      if (oldest < 0) break; // only finals left: they stay
      dropped.push(lane.jobs.splice(oldest, 1)[0].item);
    }
    return dropped;
  }

  /** Takes the next job to run, or undefined when nothing is queued. Charge its engine time with `charge`. */
  next(): FairJob<T> | undefined {
    let best: Lane<T> | undefined;
    for (const lane of this.#lanes.values()) {
      const head = lane.jobs[0];
      if (!head) continue;
      if (!best || before(lane, best)) best = lane;
    }
    if (!best) return undefined;
    best.lastPick = ++this.#picks;
    best.running++;
    return best.jobs.shift();
  }

  /** Charges `ms` of engine time to a job taken with `next` (call exactly once per job, also when it failed). */
  charge(owner: string, ms: number): void {
    const lane = this.#lanes.get(owner);
    if (!lane) return;
    lane.served += Math.max(0, ms);
    lane.running = Math.max(0, lane.running - 1);
    this.#forgetIfIdle(lane);
  }

  /** Removes the first queued job whose item matches; returns it, or undefined when none is queued. */
  remove(match: (item: T) => boolean): T | undefined {
    for (const lane of this.#lanes.values()) {
      const index = lane.jobs.findIndex((j) => match(j.item));
      if (index < 0) continue;
      const [job] = lane.jobs.splice(index, 1);
      this.#forgetIfIdle(lane);
      return job.item;
    }
    return undefined;
  }

  /** Empties every lane; returns the queued items. */
  clear(): T[] {
    const items = [...this.#lanes.values()].flatMap((lane) => lane.jobs.map((j) => j.item));
    this.#lanes.clear();
    return items;
  }

  #leastServed(except?: Lane<T>): number {
    let least = Infinity;
    for (const lane of this.#lanes.values()) {
      if (lane !== except && (lane.jobs.length > 0 || lane.running > 0)) least = Math.min(least, lane.served);
    }
    return least === Infinity ? 0 : least;
  }

  /** An idle lane is forgotten (a lane that comes back starts at the busy lanes' level, so nothing is lost). */
  #forgetIfIdle(lane: Lane<T>): void {
    if (lane.jobs.length === 0 && lane.running === 0) this.#lanes.delete(lane.owner);
  }
}

/** Whether lane `a`'s head job goes before lane `b`'s. */
function before<T>(a: Lane<T>, b: Lane<T>): boolean {
  const aFinal = a.jobs[0].jobClass === "final", bFinal = b.jobs[0].jobClass === "final";
  if (aFinal !== bFinal) return aFinal;
  if (a.served !== b.served) return a.served < b.served;
  return a.lastPick < b.lastPick;
}

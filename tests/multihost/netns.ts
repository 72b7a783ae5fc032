/**
 * Test hosts as Linux network namespaces, built and torn down by the test itself.
 *
 * Every host gets two links, each a veth pair into a bridge of its own network:
 * - `data`: gRPC, WebSocket, HTTP, WebRTC between the services (and the test process);
 * - `control`: Redis only, so a host can lose the registry while it still serves (a split a link cut of the data
 *   network cannot make).
 * Both networks are /24s in 10.213.0.0/16 picked free for this run; the test process gets `.1` on each bridge so it
 * can reach the hosts, and nothing outside those ranges and loopback is ever a target.
 *
 * Names carry the owning process id (`vcmh<pid>…`): {@linkcode TestNetwork.create} first removes what an earlier,
 * killed run left behind, and {@linkcode TestNetwork.destroy} (also on SIGINT/SIGTERM) kills every process left in
 * the namespaces and deletes namespaces and bridges.
 *
 * @module
 */

/** The two networks every host is on. */
export type NetworkName = "data" | "control";

const PREFIX = "vcmh";
const NETWORKS: readonly NetworkName[] = ["data", "control"];
const SUFFIX: Record<NetworkName, string> = { data: "d", control: "c" };

/** Runs a command to completion; throws with its stderr when it fails (unless `allowFail`). */
export async function sh(argv: string[], allowFail = false): Promise<string> {
  const out = await new Deno.Command(argv[0], { args: argv.slice(1), stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success && !allowFail) {
    throw new Error(`${argv.join(" ")} failed (${out.code}): ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return text;
}

function alive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** Kills every process in a namespace (SIGKILL: they are test services) and waits until none is left. */
async function killAllIn(namespace: string): Promise<void> {
  for (let round = 0; round < 50; round++) {
    const pids = (await sh(["ip", "netns", "pids", namespace], true)).split(/\s+/).filter(Boolean).map(Number);
    if (!pids.length) return;
    for (const pid of pids) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch { /* already gone */ }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Removes namespaces and bridges of runs whose process is gone (a run killed before it could clean up). */
export async function sweepLeftovers(): Promise<string[]> {
  const removed: string[] = [];
  const owners = new Set<number>();
  for (const line of (await sh(["ip", "netns", "list"], true)).split("\n")) {
    const match = line.match(new RegExp(`^(${PREFIX}(\\d+)-[a-z0-9]+)`));
    if (match) owners.add(Number(match[2]));
  }
  for (const line of (await sh(["ip", "-o", "link", "show", "type", "bridge"], true)).split("\n")) {
    const match = line.match(new RegExp(`^\\d+: (${PREFIX}(\\d+)[dc]):`));
    if (match) owners.add(Number(match[2]));
  }
  for (const pid of owners) {
    if (pid === Deno.pid || alive(pid)) continue;
    removed.push(...await removeRun(pid));
  }
  return removed;
}

async function removeRun(pid: number): Promise<string[]> {
  const removed: string[] = [];
  for (const line of (await sh(["ip", "netns", "list"], true)).split("\n")) {
    const name = line.split(/\s/)[0];
    if (!name.startsWith(`${PREFIX}${pid}-`)) continue;
    await killAllIn(name);
    await sh(["ip", "netns", "del", name], true);
    removed.push(name);
  }
  for (const network of NETWORKS) {
    const bridge = `${PREFIX}${pid}${SUFFIX[network]}`;
    if (!(await sh(["ip", "link", "show", bridge], true))) continue;
    await sh(["ip", "link", "del", bridge], true);
    removed.push(bridge);
  }
  return removed;
}

/** Picks a /24 pair `10.213.N.0` (data) and `10.213.N+1.0` (control) that no interface or route uses yet. */
async function freeSubnets(): Promise<[string, string]> {
  const used = (await sh(["ip", "-4", "addr"], true)) + (await sh(["ip", "-4", "route"], true));
  const start = (Deno.pid % 120) * 2;
  for (let i = 0; i < 120; i++) {
    const n = ((start + i * 2) % 240) + 2;
    const data = `10.213.${n}`;
    const control = `10.213.${n + 1}`;
    if (!used.includes(`${data}.`) && !used.includes(`${control}.`)) return [data, control];
  }
  throw new Error("no free /24 pair left in 10.213.0.0/16 for the test hosts");
}

/** A set of hosts on two bridged networks; see the module note. */
export class TestNetwork {
  readonly hosts: readonly string[];
  readonly #subnets: Record<NetworkName, string>;
  readonly #index = new Map<string, number>();
  #destroyed: Promise<void> | null = null;
  readonly #onSignal = () => {
    void this.destroy().finally(() => Deno.exit(130));
  };

  private constructor(hosts: readonly string[], subnets: Record<NetworkName, string>) {
    this.hosts = hosts;
    this.#subnets = subnets;
    hosts.forEach((host, i) => this.#index.set(host, 11 + i));
  }

  /**
   * Builds one namespace per host name (lowercase letters/digits, e.g. `a`..`e`), both networks, and the test
   * process's own address on each bridge. Anything half-built is removed when a step fails.
   */
  static async create(hosts: readonly string[]): Promise<TestNetwork> {
    if (Deno.uid?.() !== 0) throw new Error("the multi-host tests build network namespaces and must run as root");
    for (const host of hosts) {
      if (!/^[a-z0-9]{1,3}$/.test(host)) throw new Error(`host name "${host}" must be 1-3 lowercase letters/digits`);
    }
    await sweepLeftovers();
    const [data, control] = await freeSubnets();
    const network = new TestNetwork(hosts, { data, control });
    Deno.addSignalListener("SIGINT", network.#onSignal);
    Deno.addSignalListener("SIGTERM", network.#onSignal);
    try {
      await network.#build();
    } catch (error) {
      await network.destroy();
      throw error;
    }
    return network;
  }

  /** The namespace name of a host. */
  namespace(host: string): string {
    this.#check(host);
    return `${PREFIX}${Deno.pid}-${host}`;
  }

  /** A host's address on a network (`data` by default). */
  address(host: string, network: NetworkName = "data"): string {
    return `${this.#subnets[network]}.${this.#check(host)}`;
  }

  /** The test process's own address on a network. */
  selfAddress(network: NetworkName = "data"): string {
    return `${this.#subnets[network]}.1`;
  }

  /** The /24 of a network, e.g. `10.213.4.0/24`. */
  subnet(network: NetworkName): string {
    return `${this.#subnets[network]}.0/24`;
  }

  /** Argv that runs `argv` inside a host's namespace. */
  wrap(host: string, argv: string[]): string[] {
    return ["ip", "netns", "exec", this.namespace(host), ...argv];
  }

  /** Takes a host's link on a network down (bridge side): packets to and from it are dropped, nothing is reset. */
  async cut(host: string, network: NetworkName = "data"): Promise<void> {
    await sh(["ip", "link", "set", this.#bridgePort(host, network), "down"]);
  }

  /** Brings a cut link back up. */
  async heal(host: string, network: NetworkName = "data"): Promise<void> {
    await sh(["ip", "link", "set", this.#bridgePort(host, network), "up"]);
  }

  /** Kills every process of a host at once (the host "dies"); the namespace stays for a restart. */
  async killHost(host: string): Promise<void> {
    await killAllIn(this.namespace(host));
  }

  /** Kills everything in the namespaces and removes namespaces and bridges. Safe to call twice. */
  destroy(): Promise<void> {
    this.#destroyed ??= (async () => {
      Deno.removeSignalListener("SIGINT", this.#onSignal);
      Deno.removeSignalListener("SIGTERM", this.#onSignal);
      await removeRun(Deno.pid);
    })();
    return this.#destroyed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.destroy();
  }

  async #build(): Promise<void> {
    for (const network of NETWORKS) {
      const bridge = this.#bridge(network);
      await sh(["ip", "link", "add", bridge, "type", "bridge"]);
      await sh(["ip", "addr", "add", `${this.selfAddress(network)}/24`, "dev", bridge]);
      await sh(["ip", "link", "set", bridge, "up"]);
    }
    for (const host of this.hosts) {
      const ns = this.namespace(host);
      await sh(["ip", "netns", "add", ns]);
      await sh(["ip", "-n", ns, "link", "set", "lo", "up"]);
      for (const network of NETWORKS) {
        const outside = this.#bridgePort(host, network);
        const inside = network === "data" ? "data0" : "ctl0";
        await sh(["ip", "link", "add", outside, "type", "veth", "peer", "name", `${outside}i`, "netns", ns]);
        await sh(["ip", "-n", ns, "link", "set", `${outside}i`, "name", inside]);
        await sh(["ip", "-n", ns, "addr", "add", `${this.address(host, network)}/24`, "dev", inside]);
        await sh(["ip", "-n", ns, "link", "set", inside, "up"]);
        await sh(["ip", "link", "set", outside, "master", this.#bridge(network)]);
        await sh(["ip", "link", "set", outside, "up"]);
      }
    }
  }

  #bridge(network: NetworkName): string {
    return `${PREFIX}${Deno.pid}${SUFFIX[network]}`;
  }

  #bridgePort(host: string, network: NetworkName): string {
    this.#check(host);
    return `vh${Deno.pid}${host}${SUFFIX[network]}`;
  }

  #check(host: string): number {
    const index = this.#index.get(host);
    if (index === undefined) throw new Error(`no test host "${host}" (hosts: ${this.hosts.join(", ")})`);
    return index;
  }
}

/**
 * `deno task multihost`: starts the whole multi-host layout on test hosts (network namespaces) by hand, prints where
 * everything is, and keeps it up until Ctrl-C; everything it created is removed on exit. Needs root.
 *
 *   deno task multihost           # up until Ctrl-C
 *   deno task multihost --smoke   # up, one health round, down (what CI could run)
 *
 * The automated suite is `deno task test tests/multihost`.
 *
 * @module
 */
import { Cluster } from "./cluster.ts";

if (import.meta.main) {
  const smoke = Deno.args.includes("--smoke");
  const cluster = await Cluster.create();
  const stop = async (code: number) => {
    await cluster.destroy();
    Deno.exit(code);
  };
  Deno.addSignalListener("SIGINT", () => void stop(130));
  Deno.addSignalListener("SIGTERM", () => void stop(143));
  try {
    const net = cluster.net;
    console.log(
      `hosts: ${net.hosts.map((h) => `${h}=${net.address(h)} (control ${net.address(h, "control")})`).join(", ")}`,
    );
    await cluster.startRedis();
    console.log(`redis            ${cluster.redisUrl}`);
    await Promise.all([cluster.startLiveKit("a"), cluster.startLiveKit("b")]);
    console.log(`livekit nodes    ${cluster.livekitUrl("a")}  ${cluster.livekitUrl("b")}`);
    const workers = await Promise.all([
      cluster.startWorker("c", "piper"),
      cluster.startWorker("d", "piper"),
      cluster.startWorker("e", "mock"),
    ]);
    for (const w of workers) console.log(`worker           ${w.name} at ${w.address}`);
    const orchestrators = [];
    for (const host of ["a", "b"]) orchestrators.push(await cluster.startOrchestrator(host));
    for (const o of orchestrators) console.log(`orchestrator     ${o.wsUrl} (health ${o.healthUrl})`);
    if (smoke) {
      for (const o of orchestrators) {
        const response = await fetch(`${o.healthUrl}/health`);
        console.log(`${o.healthUrl}/health → ${response.status} ${await response.text()}`);
      }
      await stop(0);
    }
    console.log("up; Ctrl-C removes every host and process");
  } catch (error) {
    console.error(`${error}\n${cluster.tails()}`);
    await stop(1);
  }
}

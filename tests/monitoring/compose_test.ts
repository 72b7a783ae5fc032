import assert from "node:assert/strict";
import { activeServices, composeConfig, type ComposeService, REPO } from "../deploy/compose_harness.ts";

/** Mounts of a service, whether compose printed them as objects or as `source:target[:mode]` strings (v1). */
function mounts(service: ComposeService): { source: string; target: string; bind: boolean }[] {
  const volumes = (service as { volumes?: (string | { type: string; source: string; target: string })[] }).volumes;
  return (volumes ?? []).map((v) => {
    if (typeof v !== "string") return { source: v.source, target: v.target, bind: v.type === "bind" };
    const [source, target] = v.split(":");
    return { source, target, bind: source.startsWith("/") || source.startsWith(".") };
  });
}

Deno.test("the compose monitoring profile runs Prometheus and Grafana on loopback with the repo's config, rules and dashboard", async () => {
  const config = await composeConfig(["--profile", "monitoring"]);
  const monitoring = activeServices(config, ["monitoring"]).filter(([, s]) => s.profiles?.includes("monitoring"));
  assert.deepEqual(monitoring.map(([name]) => name).sort(), ["grafana", "prometheus"]);
  for (const [name, service] of monitoring) {
    for (const port of service.ports ?? []) {
      const hostIp = typeof port === "string" ? port.split(":")[0] : (port as { host_ip?: string }).host_ip;
      assert.equal(hostIp, "127.0.0.1", `${name} publishes ${JSON.stringify(port)} beyond loopback`);
    }
    assert.ok(service.healthcheck?.test, `${name} has a healthcheck`);
    assert.ok(
      (service as { deploy?: { resources?: { limits?: { memory?: unknown } } } }).deploy?.resources?.limits?.memory,
      `${name} has a memory limit`,
    );
    for (const [dep, { condition }] of Object.entries(service.depends_on ?? {})) {
      assert.equal(condition, "service_healthy", `${name} waits for ${dep}`);
    }
    for (const mount of mounts(service).filter((m) => m.bind)) {
      // The harness runs compose in a copy of the repo: compare the path inside it.
      const inRepo = /\/monitoring(\/.*)?$/.exec(mount.source);
      assert.ok(inRepo, `${name} mounts ${mount.source}, outside monitoring/`);
      await Deno.stat(`${REPO}monitoring${inRepo[1] ?? ""}`); // the file or folder it mounts exists in the repo
    }
  }
  assert.deepEqual(
    mounts(config.services.prometheus).map((v) => v.target).sort(),
    ["/etc/prometheus/alerts.yml", "/etc/prometheus/prometheus.yml", "/prometheus"],
    "prometheus.yml's relative rule_files entry (alerts.yml) resolves next to it",
  );
  // The orchestrator it scrapes is the compose service the config names.
  assert.equal(config.services.orchestrator.environment?.ORCHESTRATOR_HEALTH_PORT, "8081");
  const grafana = config.services.grafana;
  assert.ok(mounts(grafana).some((v) => v.target === "/etc/grafana/provisioning"));
  assert.ok(mounts(grafana).some((v) => v.target === "/etc/grafana/dashboards"));
  assert.equal(
    grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH,
    "/etc/grafana/dashboards/voice-chat.json",
  );
});

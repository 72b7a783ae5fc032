import assert from "node:assert/strict";
import { withContext } from "@logtape/logtape";
import { getLogger, type LoggingOptions, setupLogging, teardownLogging } from "../../../shared/log/mod.ts";

/** Runs `fn` with logging captured into an array of lines. */
function capture(options: Omit<LoggingOptions, "write">, fn: () => void): string[] {
  const lines: string[] = [];
  setupLogging({ ...options, write: (line) => lines.push(line) });
  try {
    fn();
  } finally {
    teardownLogging();
  }
  return lines;
}

Deno.test("JSON format: one object per line with timestamp, level, logger, message and flattened context", () => {
  const lines = capture({ service: "worker", worker: "tts-mock-1", level: "info", format: "json" }, () => {
    getLogger("worker", "runtime").with({ session_id: "s-1", model_id: "mock-440hz" }).info("session {id} started", {
      id: "s-1",
      frames: 3,
    });
  });
  assert.equal(lines.length, 1);
  assert.ok(lines[0].endsWith("\n") && !lines[0].slice(0, -1).includes("\n"));
  const obj = JSON.parse(lines[0]);
  assert.match(obj["@timestamp"], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.deepEqual({ ...obj, "@timestamp": "t" }, {
    "@timestamp": "t",
    level: "info",
    logger: "voice.worker.runtime",
    message: "session s-1 started",
    service: "worker",
    worker: "tts-mock-1",
    session_id: "s-1",
    model_id: "mock-440hz",
    id: "s-1",
    frames: 3,
  });
});

Deno.test("JSON format keeps errors readable and never lets a property overwrite the message", () => {
  const lines = capture({ service: "orchestrator", level: "debug", format: "json" }, () => {
    getLogger("x").error("failed", { error: new RangeError("too far"), message: "shadow" });
  });
  const obj = JSON.parse(lines[0]);
  assert.equal(obj.message, "failed");
  assert.equal(obj.message_, "shadow");
  assert.equal(obj.error.name, "RangeError");
  assert.equal(obj.error.message, "too far");
  assert.match(obj.error.stack, /setup_test/);
});

Deno.test("text format: time, level, logger, message, then key=value context, without colour when asked", () => {
  const lines = capture({ service: "worker", level: "info", format: "text", colors: false }, () => {
    getLogger("registry").with({ session_id: "a b" }).warn("redis down, retrying in {ms} ms", { ms: 500 });
  });
  assert.equal(lines.length, 1);
  assert.match(
    lines[0],
    /^\d\d:\d\d:\d\d\.\d{3} WARNING registry redis down, retrying in 500 ms service=worker session_id="a b" ms=500\n$/,
  );
  assert.ok(!lines[0].includes("\x1b["));
});

Deno.test("text format colours the level when colours are on", () => {
  const lines = capture({ service: "worker", level: "info", format: "text", colors: true }, () => {
    getLogger("w").error("boom");
  });
  assert.ok(lines[0].includes("\x1b[31mERROR"), JSON.stringify(lines[0]));
});

Deno.test("records below LOG_LEVEL are dropped", () => {
  const emitAll = () => {
    const log = getLogger("lvl");
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
  };
  const levels = (level: LoggingOptions["level"]) =>
    capture({ service: "s", level, format: "json" }, emitAll).map((l) => JSON.parse(l).message);
  assert.deepEqual(levels("debug"), ["d", "i", "w", "e"]);
  assert.deepEqual(levels("info"), ["i", "w", "e"]);
  assert.deepEqual(levels("warning"), ["w", "e"]);
  assert.deepEqual(levels("error"), ["e"]);
});

Deno.test("implicit context from withContext reaches every line inside it", () => {
  const lines = capture({ service: "orchestrator", level: "info", format: "json" }, () => {
    withContext({ session_id: "ctx-7" }, () => getLogger("session").info("turn"));
    getLogger("session").info("outside");
  });
  assert.equal(JSON.parse(lines[0]).session_id, "ctx-7");
  assert.equal(JSON.parse(lines[1]).session_id, undefined);
});

Deno.test("the default sink writes to stderr of a real process, honouring NO_COLOR", async () => {
  const mod = new URL("../../../shared/log/mod.ts", import.meta.url).href;
  const code = `import { getLogger, setupLogging } from "${mod}";
    setupLogging({ service: "probe", level: "info", format: "text" });
    getLogger("p").info("hello {who}", { who: "stderr" });`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-prompt", code],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  assert.equal(new TextDecoder().decode(out.stdout), "");
  assert.match(stderr, /INFO +p hello stderr service=probe who=stderr\n$/);
});

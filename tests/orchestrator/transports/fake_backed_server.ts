/**
 * The real WebSocket transport and session manager, backed by the session fakes (energy VAD, loudness ASR, fake
 * TTS router), for protocol-level tests that do not need models. Tests through real models live in e2e_ws/.
 *
 * @module
 */
import { OrchestratorMetrics } from "../../../orchestrator/metrics/orchestrator_metrics.ts";
import type { ProtocolLimits } from "../../../shared/protocol/limits.ts";
import { EchoResponder } from "../../../orchestrator/responder/echo.ts";
import { SessionManager } from "../../../orchestrator/session/manager.ts";
import { SpeechInput } from "../../../orchestrator/session/speech_input.ts";
import { createAuthenticator } from "../../../orchestrator/transports/auth.ts";
import { listenWebSocket, type WebSocketListener } from "./websocket_listener.ts";
import { FakeAsrEngine, FakeTtsRouter, FakeVadStream } from "../session/fakes.ts";

/** A running server and its parts. */
export interface FakeBackedServer {
  server: WebSocketListener;
  manager: SessionManager;
  router: FakeTtsRouter;
  metrics: OrchestratorMetrics;
  close(): Promise<void>;
}

/** Starts the server with the given keys, token secret and limits. */
export async function startFakeBackedServer(options: {
  apiKeys: string[];
  tokenSecret?: string;
  limits?: Partial<ProtocolLimits>;
  maxSessionsPerKey?: number;
}): Promise<FakeBackedServer> {
  const router = new FakeTtsRouter();
  const metrics = new OrchestratorMetrics(router);
  const echo = new EchoResponder();
  const manager = new SessionManager({
    turn: { falseInterruptionMs: 700, bargeInGuardMs: 0, pacerLeadMs: 40, defaultLanguage: "en", defaultModel: "" },
    maxSessionsPerKey: options.maxSessionsPerKey ?? 8,
    responders: { defaultName: "echo", get: (n) => (n ?? "echo") === "echo" ? echo : undefined, names: () => ["echo"] },
    router,
    asrLanguages: ["en"],
    createSpeechInput: (listener) =>
      new SpeechInput({
        vad: new FakeVadStream(),
        asr: new FakeAsrEngine(),
        toSpeechRate: (samples) => Float32Array.from(samples, (v) => v / 32768),
        listener,
      }),
    metrics,
  });
  const server = await listenWebSocket({
    authenticator: createAuthenticator({ apiKeys: options.apiKeys, tokenSecret: options.tokenSecret }),
    acceptor: manager.accept,
    limits: options.limits,
    onError: (code) => metrics.errors.inc({ code }),
  });
  return {
    server,
    manager,
    router,
    metrics,
    close: async () => {
      await server.close();
      manager.endAll();
    },
  };
}

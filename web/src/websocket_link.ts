/// <reference lib="dom" />
/**
 * The WebSocket transport in the browser (the fallback when LiveKit is unreachable): the microphone goes through the
 * `pcm-capture` worklet as 20 ms PCM s16 frames at 48 kHz, agent frames are played back to back, and events are
 * the protocol's JSON text frames. The credential travels as a subprotocol (browsers cannot set headers).
 *
 * @module
 */
import { PcmPlayer } from "./audio_graph.ts";
import { type LinkContext, micConstraints, type VoiceLink, withTimeout } from "./link.ts";
import { type ClientMessage, type ConnectionDetails, parseServerEvent, WIRE_RATE } from "./protocol.ts";

/** Session options sent in `session.start`. */
export type StartOptions = Omit<Extract<ClientMessage, { type: "session.start" }>, "type" | "audio">;

/** Connects, opens the microphone and starts the session. */
export async function connectWebSocket(
  details: ConnectionDetails,
  context: LinkContext,
  options: StartOptions,
  timeoutMs: number,
): Promise<VoiceLink> {
  const { callbacks, graph } = context;
  const protocols = ["voice.v1"];
  if (details.websocket.token) protocols.push(`auth.${details.websocket.token}`);
  callbacks.onState("connecting");
  const socket = new WebSocket(details.websocket.url, protocols);
  socket.binaryType = "arraybuffer";
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = () => reject(new Error(`could not reach ${details.websocket.url}`));
    }),
    timeoutMs,
    `the voice server did not answer within ${Math.round(timeoutMs / 1000)} s`,
  ).catch((error) => {
    socket.close();
    throw error;
  });

  const player = new PcmPlayer(graph, context.agentLevels);
  let micStream: MediaStream | null = null;
  let micSource: MediaStreamAudioSourceNode | null = null;
  const capture = new AudioWorkletNode(graph.context, "pcm-capture");
  capture.connect(graph.sink);
  capture.port.onmessage = (event) => {
    context.micLevels.add(event.data.rms);
    if (socket.readyState === WebSocket.OPEN) socket.send(event.data.pcm.buffer);
  };
  const openMic = async (deviceId: string) => {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: micConstraints(deviceId) });
    micSource?.disconnect();
    micStream?.getTracks().forEach((t) => t.stop());
    micStream = stream;
    micSource = graph.context.createMediaStreamSource(stream);
    micSource.connect(capture);
  };
  const release = () => {
    micSource?.disconnect();
    micStream?.getTracks().forEach((t) => t.stop());
    capture.port.onmessage = null;
    capture.disconnect();
    player.flush();
  };

  socket.onmessage = (message) => {
    if (message.data instanceof ArrayBuffer) return player.play(message.data);
    const event = parseServerEvent(String(message.data));
    if (!event) return;
    if (event.type === "response.interrupted") player.flush();
    callbacks.onEvent(event);
  };
  socket.onclose = (event) => {
    release();
    callbacks.onClosed({ code: event.code, reason: event.reason });
  };
  try {
    await openMic(context.deviceId);
  } catch (error) {
    socket.close(1000);
    throw error;
  }
  const rate = graph.context.sampleRate === 16_000 ? 16_000 : WIRE_RATE;
  if (graph.context.sampleRate !== rate) {
    socket.close(1000);
    throw new Error(`this browser runs audio at ${graph.context.sampleRate} Hz; the voice server needs 16 or 48 kHz`);
  }
  socket.send(JSON.stringify({ type: "session.start", ...options, audio: { sampleRate: rate } }));
  callbacks.onState("connected");

  return {
    kind: "websocket",
    send(message: ClientMessage) {
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
    },
    switchMicrophone: (deviceId: string) => openMic(deviceId),
    close() {
      if (socket.readyState < WebSocket.CLOSING) socket.close(1000);
      return Promise.resolve();
    },
  };
}

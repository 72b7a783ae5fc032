/// <reference lib="dom" />
/**
 * The web client's entry point: wires the page to a {@linkcode VoiceClient}, keeps the theme and the chosen
 * transport, lists microphones, and exposes `window.voiceDebug` (events and audio statistics) for the end-to-end
 * tests and for anyone curious in the console.
 *
 * @module
 */
import { PageView } from "./ui.ts";
import { type TransportChoice, VoiceClient } from "./voice_client.ts";

const view = new PageView();
const client = new VoiceClient({
  onStatus: (status, transport) => view.showStatus(status, transport),
  onError: (message) => view.showError(message),
  onNotice: (message) => view.showNotice(message),
});
client.conversation.onChange = () => view.renderConversation(client.conversation);
client.micLevels.onLevel = (rms) => view.showMicLevel(rms);
const agentMeter = client.agentLevels.onLevel;
client.agentLevels.onLevel = (rms) => {
  agentMeter?.(rms);
  view.showAgentLevel(rms);
};

// Theme: follows the system until the user picks one.
const savedTheme = localStorage.getItem("voice.theme");
if (savedTheme === "dark" || savedTheme === "light") document.documentElement.dataset.theme = savedTheme;
view.themeButton.addEventListener("click", () => {
  const current = document.documentElement.dataset.theme ??
    (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
  const next = current === "dark" ? "light" : "dark";
  document.documentElement.dataset.theme = next;
  localStorage.setItem("voice.theme", next);
});

// Transport: `?transport=websocket` (or the menu) overrides automatic.
const params = new URLSearchParams(location.search);
const savedTransport = params.get("transport") ?? localStorage.getItem("voice.transport");
if (savedTransport && [...view.transportSelect.options].some((o) => o.value === savedTransport)) {
  view.transportSelect.value = savedTransport;
}
view.transportSelect.addEventListener(
  "change",
  () => localStorage.setItem("voice.transport", view.transportSelect.value),
);

async function refreshMicrophones(): Promise<void> {
  try {
    view.listMicrophones(await navigator.mediaDevices.enumerateDevices());
  } catch { /* no media devices API (insecure page): the start will say so */ }
}
navigator.mediaDevices?.addEventListener("devicechange", refreshMicrophones);
void refreshMicrophones();

view.micSelect.addEventListener("change", () => void client.switchMicrophone(view.micSelect.value));
view.interruptButton.addEventListener("click", () => client.control("interrupt"));
view.startButton.addEventListener("click", async () => {
  view.clearError();
  if (client.status !== "idle") return void client.stop();
  if (!navigator.mediaDevices?.getUserMedia) {
    return view.showError("This page needs a secure connection (https) to use the microphone.");
  }
  await client.start({ deviceId: view.micSelect.value, transport: view.transportSelect.value as TransportChoice });
  await refreshMicrophones();
});

/** What the end-to-end tests read. */
Object.assign(globalThis, {
  voiceDebug: {
    client,
    get status() {
      return client.status;
    },
    get transport() {
      return client.link?.kind ?? null;
    },
    get events() {
      return client.events;
    },
    agentAudio: () => ({
      audibleMs: client.agentLevels.audibleMs,
      audibleRms: client.agentLevels.audibleRms,
      peakRms: client.agentLevels.peakRms,
      lastAudibleAtMs: client.agentLevels.lastAudibleAtMs,
      audibleMsSince: (fromMs: number) => client.agentLevels.audibleMsSince(fromMs),
    }),
    micAudio: () => ({ audibleMs: client.micLevels.audibleMs, peakRms: client.micLevels.peakRms }),
  },
});
view.showStatus("idle", null);

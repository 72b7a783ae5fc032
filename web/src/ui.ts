/// <reference lib="dom" />
/**
 * Renders the page from the client's state: connection pill, agent orb and state line, microphone meter, transcript
 * bubbles, latency tiles, errors and notices. Pure DOM updates; no framework.
 *
 * @module
 */
import type { Conversation } from "./conversation.ts";
import type { ClientStatus } from "./voice_client.ts";

const STATE_TEXT: Record<string, string> = {
  idle: "Ready when you are",
  listening: "Listening…",
  thinking: "Thinking…",
  speaking: "Speaking",
  interrupted: "Go ahead — I'm listening",
};

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

/** The page's elements and how they change. */
export class PageView {
  readonly startButton = byId<HTMLButtonElement>("start");
  readonly interruptButton = byId<HTMLButtonElement>("interrupt");
  readonly micSelect = byId<HTMLSelectElement>("mic");
  readonly transportSelect = byId<HTMLSelectElement>("transport");
  readonly themeButton = byId<HTMLButtonElement>("theme");
  #status = byId("status");
  #statusText = byId("status-text");
  #orb = byId("orb");
  #agentState = byId("agent-state");
  #meter = byId("mic-meter");
  #messages = byId<HTMLOListElement>("messages");
  #empty = byId("empty");
  #transportTag = byId("transport-tag");
  #toast = byId("toast");
  #toastText = byId("toast-text");
  #notice = byId("notice");
  #noticeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    byId("toast-close").addEventListener("click", () => this.#toast.hidden = true);
  }

  showStatus(status: ClientStatus, transport: string | null): void {
    const label = transport === "livekit" ? "LiveKit" : transport === "websocket" ? "WebSocket" : "";
    const text: Record<ClientStatus, string> = {
      idle: "Offline",
      connecting: "Connecting…",
      live: label ? `Live · ${label}` : "Live",
      reconnecting: "Reconnecting…",
      ending: "Ending…",
    };
    this.#status.dataset.status = status;
    this.#statusText.textContent = text[status];
    const running = status !== "idle";
    this.startButton.dataset.running = String(running);
    this.startButton.textContent = running
      ? (status === "connecting" ? "Connecting…" : "End conversation")
      : "Start conversation";
    this.startButton.disabled = status === "connecting" || status === "ending";
    this.interruptButton.disabled = status !== "live";
    this.#transportTag.hidden = !label || status === "idle";
    this.#transportTag.textContent = label;
    if (status === "idle") this.showAgentState("idle");
  }

  showAgentState(state: string): void {
    this.#orb.dataset.state = state;
    this.#agentState.textContent = STATE_TEXT[state] ?? state;
  }

  /** Microphone level 0..1 (RMS) → meter width, on a rough dB scale so speech fills it. */
  showMicLevel(rms: number): void {
    const db = 20 * Math.log10(Math.max(rms, 1e-5));
    this.#meter.style.width = `${Math.max(0, Math.min(100, ((db + 60) / 50) * 100)).toFixed(0)}%`;
  }

  /** Agent level 0..1 → the orb's size while it speaks. */
  showAgentLevel(rms: number): void {
    this.#orb.style.setProperty("--level", (1 + Math.min(0.18, rms * 1.6)).toFixed(3));
  }

  renderConversation(conversation: Conversation): void {
    this.#empty.hidden = conversation.utterances.length > 0;
    const existing = new Map(
      [...this.#messages.children].map((li) => [(li as HTMLElement).dataset.id!, li as HTMLElement]),
    );
    for (const utterance of conversation.utterances) {
      let item = existing.get(utterance.id);
      if (!item) {
        item = document.createElement("li");
        item.dataset.id = utterance.id;
        item.innerHTML = `<span class="who"></span><div class="bubble"></div>`;
        item.querySelector(".who")!.textContent = utterance.who === "user" ? "You" : "Agent";
        this.#messages.append(item);
      }
      existing.delete(utterance.id);
      item.className = `message ${utterance.who}${utterance.live ? " live" : ""}${
        utterance.interrupted ? " interrupted" : ""
      }`;
      item.dataset.testid = `${utterance.who}-message`;
      const bubble = item.querySelector(".bubble")!;
      if (bubble.textContent !== utterance.text) bubble.textContent = utterance.text;
    }
    for (const stale of existing.values()) stale.remove();
    this.#messages.scrollTop = this.#messages.scrollHeight;
    if (conversation.agentState) this.showAgentState(conversation.agentState);
    const last = conversation.lastLatency;
    setText("lat-v2v", ms(last?.voiceToVoiceMs));
    setText("lat-heard", ms(last?.heardAfterMs));
    setText("lat-tts", ms(last?.ttsFirstAudioMs));
    setText("lat-median", ms(conversation.medianVoiceToVoiceMs));
    setText("lat-barge-onset", ms(conversation.lastBargeIn?.onsetMs));
    setText("lat-barge-vad", ms(conversation.lastBargeIn?.decisionMs));
  }

  showError(message: string): void {
    this.#toastText.textContent = message;
    this.#toast.hidden = false;
  }

  clearError(): void {
    this.#toast.hidden = true;
  }

  showNotice(message: string): void {
    this.#notice.textContent = message;
    this.#notice.hidden = false;
    clearTimeout(this.#noticeTimer);
    this.#noticeTimer = setTimeout(() => this.#notice.hidden = true, 8_000);
  }

  /** Fills the microphone list (labels appear once the page may use the microphone). */
  listMicrophones(devices: MediaDeviceInfo[]): void {
    const selected = this.micSelect.value;
    this.micSelect.replaceChildren(new Option("System default", ""));
    devices.filter((d) => d.kind === "audioinput" && d.deviceId && d.deviceId !== "default").forEach((d, i) => {
      this.micSelect.append(new Option(d.label || `Microphone ${i + 1}`, d.deviceId));
    });
    this.micSelect.value = [...this.micSelect.options].some((o) => o.value === selected) ? selected : "";
  }
}

function ms(value: number | undefined): string {
  return value === undefined ? "—" : value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

function setText(id: string, text: string): void {
  const element = document.getElementById(id);
  if (element && element.textContent !== text) element.textContent = text;
}

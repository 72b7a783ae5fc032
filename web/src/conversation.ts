/// <reference lib="dom" />
/**
 * The conversation as the page shows it, built only from server events: the user's turns (live partial text, then
 * the final transcript), the agent's answers (text as it is spoken, cut to what was heard on an interruption), the
 * agent's state, and per-turn latencies. Both transports feed it the same events.
 *
 * @module
 */
import type { ServerEvent, TurnMetrics } from "./protocol.ts";

/** One entry of the transcript. */
export interface Utterance {
  id: string;
  who: "user" | "agent";
  /** The user turn it belongs to (user entries). */
  turn?: number;
  text: string;
  /** Still changing (a partial transcript, or an answer being spoken). */
  live: boolean;
  interrupted?: boolean;
}

/** Latencies of one turn, in ms. */
export interface TurnLatency {
  turn: number;
  voiceToVoiceMs?: number;
  ttsFirstAudioMs?: number;
  asrFinalMs?: number;
  /** Measured in the page: the microphone's last sound before `speech.stopped` → the agent's first sound. */
  heardAfterMs?: number;
}

/** The conversation state. */
export class Conversation {
  readonly utterances: Utterance[] = [];
  readonly latencies: TurnLatency[] = [];
  /** The last barge-in: from the interruption's onset, and from the VAD's decision, to the last agent frame sent. */
  lastBargeIn: { onsetMs?: number; decisionMs?: number } | null = null;
  agentState = "idle";
  sessionId = "";
  /** Page time the last `speech.stopped` arrived, waiting for the agent's first sound. */
  pendingSpeechEnd: { turn: number; atMs: number } | null = null;
  onChange?: () => void;

  apply(event: ServerEvent): void {
    switch (event.type) {
      case "session.started":
        this.sessionId = event.sessionId;
        break;
      case "state":
        this.agentState = event.state;
        break;
      case "speech.started":
        this.#user(event.turn).live = true;
        break;
      case "speech.stopped":
        this.pendingSpeechEnd = { turn: event.turn, atMs: performance.now() };
        break;
      case "transcript.partial":
        Object.assign(this.#user(event.turn), { text: event.text, live: true });
        break;
      case "transcript.final": {
        this.#dropAbandoned(event.turn);
        const entry = this.#user(event.turn);
        entry.text = event.text;
        entry.live = false;
        if (!event.text) this.utterances.splice(this.utterances.indexOf(entry), 1);
        break;
      }
      case "response.started":
        this.#dropAbandoned(event.turn + 1);
        this.utterances.push({ id: event.responseId, who: "agent", text: "", live: true });
        break;
      case "response.text": {
        const entry = this.#agent(event.responseId);
        if (entry) entry.text = (entry.text ? `${entry.text} ` : "") + event.text.trim();
        break;
      }
      case "response.interrupted": {
        const entry = this.#agent(event.responseId);
        if (entry) Object.assign(entry, { text: event.heardText.trim(), live: false, interrupted: true });
        break;
      }
      case "response.done": {
        const entry = this.#agent(event.responseId);
        if (entry) Object.assign(entry, { text: event.text.trim() || entry.text, live: false });
        break;
      }
      case "metrics":
        this.#recordMetrics(event.turn, event.metrics);
        break;
      default:
        return;
    }
    this.onChange?.();
  }

  /** The agent was first heard at `atMs` (page time): completes the pending turn's client-side latency. */
  agentHeard(atMs: number): void {
    const pending = this.pendingSpeechEnd;
    if (!pending || atMs < pending.atMs) return;
    this.pendingSpeechEnd = null;
    this.#latency(pending.turn).heardAfterMs = Math.round(atMs - pending.atMs);
    this.onChange?.();
  }

  /** The latest turn with a voice-to-voice figure. */
  get lastLatency(): TurnLatency | undefined {
    return [...this.latencies].reverse().find((l) => l.voiceToVoiceMs !== undefined) ?? this.latencies.at(-1);
  }

  /** Median voice-to-voice over the session. */
  get medianVoiceToVoiceMs(): number | undefined {
    const values = this.latencies.map((l) => l.voiceToVoiceMs).filter((v): v is number => v !== undefined);
    if (!values.length) return undefined;
    values.sort((a, b) => a - b);
    return values[Math.floor((values.length - 1) / 2)];
  }

  #recordMetrics(turn: number, metrics: TurnMetrics): void {
    const entry = this.#latency(turn);
    if (metrics.voice_to_voice_ms !== undefined) entry.voiceToVoiceMs = Math.round(metrics.voice_to_voice_ms);
    if (metrics.tts_first_audio_ms !== undefined) entry.ttsFirstAudioMs = Math.round(metrics.tts_first_audio_ms);
    if (metrics.asr_final_ms !== undefined) entry.asrFinalMs = Math.round(metrics.asr_final_ms);
    if (metrics.barge_in_ms !== undefined || metrics.barge_in_onset_ms !== undefined) {
      const round = (v: number | undefined) => v === undefined ? undefined : Math.round(v);
      this.lastBargeIn = { onsetMs: round(metrics.barge_in_onset_ms), decisionMs: round(metrics.barge_in_ms) };
    }
  }

  #latency(turn: number): TurnLatency {
    let entry = this.latencies.find((l) => l.turn === turn);
    if (!entry) {
      entry = { turn };
      this.latencies.push(entry);
    }
    return entry;
  }

  #user(turn: number): Utterance {
    const id = `user-${turn}`;
    let entry = this.utterances.find((u) => u.id === id);
    if (!entry) {
      entry = { id, who: "user", turn, text: "", live: true };
      this.utterances.push(entry);
    }
    return entry;
  }

  /** Removes user entries of turns before `turn` that never got words (speech the recognizer dropped). */
  #dropAbandoned(turn: number): void {
    for (let i = this.utterances.length - 1; i >= 0; i--) {
      const u = this.utterances[i];
      if (u.who === "user" && u.live && !u.text && (u.turn ?? 0) < turn) this.utterances.splice(i, 1);
    }
  }

  #agent(responseId: string): Utterance | undefined {
    return this.utterances.find((u) => u.id === responseId);
  }
}

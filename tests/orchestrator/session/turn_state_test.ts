import assert from "node:assert/strict";
import { type TurnEvent, type TurnState, TurnStateMachine } from "../../../orchestrator/session/turn_state.ts";

const start: TurnEvent = { type: "speech_start", guarded: false };
const end: TurnEvent = { type: "speech_end" };

/** Ways to reach each state (name → events from a fresh machine). */
const setups: Record<string, TurnEvent[]> = {
  listening: [],
  user_speaking: [start],
  "thinking (awaiting final)": [start, end],
  "thinking (response preparing)": [{ type: "text_input", text: "hi" }],
  speaking: [{ type: "text_input", text: "hi" }, { type: "response_audio" }],
  "interrupted (recording)": [{ type: "text_input", text: "hi" }, { type: "response_audio" }, start],
  "interrupted (finishing)": [{ type: "text_input", text: "hi" }, { type: "response_audio" }, start, end],
  "interrupted (finishing, speaking again)": [
    { type: "text_input", text: "hi" },
    { type: "response_audio" },
    start,
    end,
    start,
  ],
  "interrupted (window over, final pending)": [
    { type: "text_input", text: "hi" },
    { type: "response_audio" },
    start,
    end,
    { type: "interruption_timeout" },
  ],
  "speaking (resumed at the bound, final pending)": [
    { type: "text_input", text: "hi" },
    { type: "response_audio" },
    start,
    end,
    { type: "interruption_timeout" },
    { type: "final_wait_timeout" },
  ],
  closed: [{ type: "close" }],
};

type Case = [setup: string, event: TurnEvent, state: TurnState, actions: string[]];

const cases: Case[] = [
  ["listening", start, "user_speaking", ["start_utterance"]],
  ["listening", end, "listening", []],
  ["listening", { type: "text_input", text: "x" }, "thinking", ["start_response"]],
  ["listening", { type: "final", text: "late words" }, "thinking", ["start_response"]],
  ["listening", { type: "final", text: "" }, "listening", []],
  ["listening", { type: "words" }, "listening", []],
  ["listening", { type: "control", action: "stop" }, "listening", []],
  ["listening", { type: "response_done" }, "listening", []],
  ["listening", { type: "interruption_timeout" }, "listening", []],
  ["listening", { type: "close" }, "closed", []],
  ["user_speaking", end, "thinking", ["finish_utterance"]],
  ["user_speaking", start, "user_speaking", []],
  ["user_speaking", { type: "words" }, "user_speaking", []],
  ["user_speaking", { type: "text_input", text: "x" }, "thinking", ["cancel_utterance", "start_response"]],
  ["user_speaking", { type: "control", action: "stop" }, "listening", ["cancel_utterance"]],
  ["user_speaking", { type: "control", action: "interrupt" }, "user_speaking", []],
  ["user_speaking", { type: "close" }, "closed", ["cancel_utterance"]],
  ["thinking (awaiting final)", { type: "final", text: "hello" }, "thinking", ["start_response"]],
  ["thinking (awaiting final)", { type: "final", text: "" }, "listening", []],
  ["thinking (awaiting final)", start, "user_speaking", ["start_utterance"]],
  ["thinking (awaiting final)", { type: "control", action: "stop" }, "listening", ["cancel_utterance"]],
  ["thinking (awaiting final)", { type: "text_input", text: "x" }, "thinking", ["cancel_utterance", "start_response"]],
  ["thinking (awaiting final)", { type: "close" }, "closed", ["cancel_utterance"]],
  ["thinking (response preparing)", { type: "response_audio" }, "speaking", []],
  ["thinking (response preparing)", { type: "response_done" }, "listening", []],
  ["thinking (response preparing)", { type: "response_failed" }, "listening", []],
  ["thinking (response preparing)", start, "user_speaking", ["cancel_response", "start_utterance"]],
  ["thinking (response preparing)", { type: "text_input", text: "x" }, "thinking", [
    "cancel_response",
    "start_response",
  ]],
  ["thinking (response preparing)", { type: "control", action: "interrupt" }, "listening", ["cancel_response"]],
  ["thinking (response preparing)", { type: "close" }, "closed", ["cancel_response"]],
  ["speaking", start, "interrupted", ["hold_output", "start_utterance"]],
  ["speaking", { type: "speech_start", guarded: true }, "speaking", []],
  ["speaking", end, "speaking", []],
  ["speaking", { type: "response_done" }, "listening", []],
  ["speaking", { type: "response_failed" }, "listening", []],
  ["speaking", { type: "text_input", text: "x" }, "thinking", ["stop_response", "start_response"]],
  ["speaking", { type: "control", action: "interrupt" }, "listening", ["stop_response"]],
  ["speaking", { type: "control", action: "stop" }, "listening", ["stop_response"]],
  ["speaking", { type: "close" }, "closed", ["stop_response"]],
  ["interrupted (recording)", { type: "words" }, "user_speaking", ["cancel_interruption_timer", "stop_response"]],
  ["interrupted (recording)", { type: "interruption_timeout" }, "speaking", ["cancel_utterance", "resume_output"]],
  ["interrupted (recording)", end, "interrupted", ["finish_utterance", "start_interruption_timer"]],
  ["interrupted (recording)", start, "interrupted", []],
  ["interrupted (recording)", { type: "control", action: "interrupt" }, "user_speaking", [
    "cancel_interruption_timer",
    "stop_response",
  ]],
  ["interrupted (recording)", { type: "control", action: "stop" }, "listening", [
    "cancel_interruption_timer",
    "cancel_utterance",
    "stop_response",
  ]],
  ["interrupted (recording)", { type: "text_input", text: "x" }, "thinking", [
    "cancel_interruption_timer",
    "cancel_utterance",
    "stop_response",
    "start_response",
  ]],
  ["interrupted (recording)", { type: "response_failed" }, "user_speaking", ["cancel_interruption_timer"]],
  ["interrupted (recording)", { type: "close" }, "closed", [
    "cancel_interruption_timer",
    "cancel_utterance",
    "stop_response",
  ]],
  ["interrupted (finishing)", { type: "final", text: "" }, "speaking", ["cancel_interruption_timer", "resume_output"]],
  ["interrupted (finishing)", { type: "final", text: "stop" }, "thinking", [
    "cancel_interruption_timer",
    "stop_response",
    "start_response",
  ]],
  ["interrupted (finishing)", { type: "words" }, "thinking", ["cancel_interruption_timer", "stop_response"]],
  ["interrupted (finishing)", { type: "interruption_timeout" }, "interrupted", ["start_final_wait_timer"]],
  ["interrupted (recording)", { type: "final_wait_timeout" }, "interrupted", []],
  ["interrupted (window over, final pending)", { type: "final", text: "" }, "speaking", [
    "cancel_interruption_timer",
    "resume_output",
  ]],
  ["interrupted (window over, final pending)", { type: "final", text: "stop" }, "thinking", [
    "cancel_interruption_timer",
    "stop_response",
    "start_response",
  ]],
  ["interrupted (window over, final pending)", { type: "words" }, "thinking", [
    "cancel_interruption_timer",
    "stop_response",
  ]],
  ["interrupted (window over, final pending)", { type: "final_wait_timeout" }, "speaking", ["resume_output"]],
  ["interrupted (window over, final pending)", start, "interrupted", ["cancel_interruption_timer", "start_utterance"]],
  ["speaking (resumed at the bound, final pending)", { type: "final", text: "stop" }, "thinking", [
    "stop_response",
    "start_response",
  ]],
  ["speaking (resumed at the bound, final pending)", { type: "final", text: "" }, "speaking", []],
  ["speaking (resumed at the bound, final pending)", { type: "response_done" }, "listening", []],
  ["speaking (resumed at the bound, final pending)", { type: "control", action: "stop" }, "listening", [
    "cancel_utterance",
    "stop_response",
  ]],
  ["speaking (resumed at the bound, final pending)", { type: "control", action: "interrupt" }, "listening", [
    "stop_response",
  ]],
  ["speaking (resumed at the bound, final pending)", { type: "text_input", text: "x" }, "thinking", [
    "cancel_utterance",
    "stop_response",
    "start_response",
  ]],
  ["speaking (resumed at the bound, final pending)", start, "interrupted", ["hold_output", "start_utterance"]],
  ["interrupted (finishing)", end, "interrupted", []],
  ["interrupted (finishing)", start, "interrupted", ["cancel_interruption_timer", "start_utterance"]],
  ["interrupted (finishing, speaking again)", { type: "final", text: "" }, "interrupted", []],
  ["interrupted (finishing, speaking again)", { type: "final", text: "wait" }, "user_speaking", [
    "cancel_interruption_timer",
    "stop_response",
  ]],
  ["interrupted (finishing, speaking again)", end, "interrupted", ["finish_utterance", "start_interruption_timer"]],
  ["interrupted (finishing, speaking again)", { type: "words" }, "user_speaking", [
    "cancel_interruption_timer",
    "stop_response",
  ]],
  ["closed", start, "closed", []],
  ["closed", { type: "text_input", text: "x" }, "closed", []],
];

function machineIn(setup: string): TurnStateMachine {
  const machine = new TurnStateMachine();
  for (const event of setups[setup]) machine.dispatch(event);
  return machine;
}

for (const [setup, event, state, actions] of cases) {
  const label = "action" in event
    ? `${event.type}:${event.action}`
    : "guarded" in event && event.guarded
    ? "speech_start (guarded)"
    : "text" in event
    ? `${event.type}("${event.text}")`
    : event.type;
  Deno.test(`turn state: ${setup} + ${label} → ${state} [${actions.join(", ")}]`, () => {
    const machine = machineIn(setup);
    const got = machine.dispatch(event);
    assert.equal(machine.state, state);
    assert.deepEqual(got.map((a) => a.type), actions);
  });
}

Deno.test("turn state: every state is reachable by the setups used above", () => {
  const reached = new Set(Object.keys(setups).map((s) => machineIn(s).state));
  assert.deepEqual([...reached].sort(), [
    "closed",
    "interrupted",
    "listening",
    "speaking",
    "thinking",
    "user_speaking",
  ]);
});

Deno.test("turn state: a user who pauses mid-sentence gets one answer to both parts", () => {
  const machine = new TurnStateMachine();
  machine.dispatch(start);
  machine.dispatch(end);
  // The user goes on before the first part's transcript is final.
  assert.deepEqual(machine.dispatch(start).map((a) => a.type), ["start_utterance"]);
  assert.deepEqual(machine.dispatch({ type: "final", text: "turn on" }), []);
  machine.dispatch(end);
  const actions = machine.dispatch({ type: "final", text: "the lights" });
  assert.deepEqual(actions, [{ type: "start_response", text: "turn on the lights" }]);
});

Deno.test("turn state: speech after a final drops the unheard answer and keeps its text for the next turn", () => {
  const machine = new TurnStateMachine();
  machine.dispatch(start);
  machine.dispatch(end);
  machine.dispatch({ type: "final", text: "what is" });
  assert.deepEqual(machine.dispatch(start).map((a) => a.type), ["cancel_response", "start_utterance"]);
  machine.dispatch(end);
  assert.deepEqual(machine.dispatch({ type: "final", text: "the time" }), [
    { type: "start_response", text: "what is the time" },
  ]);
});

Deno.test("turn state: two finishing utterances answer only after the later final", () => {
  const machine = new TurnStateMachine();
  machine.dispatch(start);
  machine.dispatch(end);
  machine.dispatch(start);
  machine.dispatch(end);
  assert.deepEqual(machine.dispatch({ type: "final", text: "one" }), []);
  assert.equal(machine.state, "thinking");
  assert.deepEqual(machine.dispatch({ type: "final", text: "two" }), [{ type: "start_response", text: "one two" }]);
});

Deno.test("turn state: barge-in reasons name what stopped the response", () => {
  const machine = machineIn("interrupted (recording)");
  assert.deepEqual(machine.dispatch({ type: "words" })[1], { type: "stop_response", reason: "barge_in" });
  const speaking = machineIn("speaking");
  assert.deepEqual(speaking.dispatch({ type: "text_input", text: "x" })[0], {
    type: "stop_response",
    reason: "text_input",
  });
});

Deno.test("turn state: onChange reports each change once, in order", () => {
  const machine = new TurnStateMachine();
  const changes: string[] = [];
  machine.onChange = (from, to) => changes.push(`${from}>${to}`);
  for (const event of setups["interrupted (finishing)"]) machine.dispatch(event);
  machine.dispatch({ type: "final", text: "" });
  assert.deepEqual(changes, [
    "listening>thinking",
    "thinking>speaking",
    "speaking>interrupted",
    "interrupted>speaking",
  ]);
});

Deno.test("turn state: speech inside the false-interruption window joins the interruption's words in one answer", () => {
  const machine = machineIn("interrupted (finishing, speaking again)");
  machine.dispatch(end);
  // The first final stops the agent but waits for the second utterance, which is still finishing.
  assert.deepEqual(machine.dispatch({ type: "final", text: "wait" }).map((a) => a.type), [
    "cancel_interruption_timer",
    "stop_response",
  ]);
  assert.equal(machine.state, "thinking");
  assert.deepEqual(machine.dispatch({ type: "final", text: "please stop talking" }), [
    { type: "start_response", text: "wait please stop talking" },
  ]);
});

Deno.test("turn state: an empty first final waits for the later utterance; an empty later one resumes the agent", () => {
  const machine = machineIn("interrupted (finishing, speaking again)");
  machine.dispatch(end);
  assert.deepEqual(machine.dispatch({ type: "final", text: "" }), []);
  assert.equal(machine.state, "interrupted");
  assert.deepEqual(machine.dispatch({ type: "final", text: "" }).map((a) => a.type), [
    "cancel_interruption_timer",
    "resume_output",
  ]);
  assert.equal(machine.state, "speaking");
});

Deno.test("turn state: a late final after the bound stops the resumed agent as a barge-in and is answered", () => {
  const machine = machineIn("speaking (resumed at the bound, final pending)");
  assert.deepEqual(machine.dispatch({ type: "final", text: "stop" }), [
    { type: "stop_response", reason: "barge_in" },
    { type: "start_response", text: "stop" },
  ]);
});

Deno.test("turn state: a late final with words after the resumed agent finished is answered", () => {
  const machine = machineIn("speaking (resumed at the bound, final pending)");
  machine.dispatch({ type: "response_done" });
  assert.deepEqual(machine.dispatch({ type: "final", text: "what about" }), [
    { type: "start_response", text: "what about" },
  ]);
});

Deno.test("turn state: a new interruption while a late final is pending waits for both finals", () => {
  const machine = machineIn("speaking (resumed at the bound, final pending)");
  machine.dispatch(start);
  machine.dispatch(end);
  assert.deepEqual(machine.dispatch({ type: "interruption_timeout" }).map((a) => a.type), ["start_final_wait_timer"]);
  assert.deepEqual(machine.dispatch({ type: "final", text: "" }), [], "the later final is still to come");
  assert.equal(machine.state, "interrupted");
  assert.deepEqual(machine.dispatch({ type: "final", text: "no" }).map((a) => a.type), [
    "cancel_interruption_timer",
    "stop_response",
    "start_response",
  ]);
});

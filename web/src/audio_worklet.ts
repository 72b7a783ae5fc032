/**
 * AudioWorklet processors of the web client, loaded with `audioWorklet.addModule("audio_worklet.js")`:
 *
 * - `pcm-capture`: the microphone for the WebSocket transport: collects the input into 20 ms blocks at the
 *   context's rate and posts each as an `Int16Array` (PCM s16 mono) together with its RMS;
 * - `level-tap`: a meter: posts the RMS (0..1) of every 20 ms block of whatever passes through it (the microphone or
 *   the agent's audio), which drives the level meter, the speaking indicator and the page's audio statistics.
 *
 * Both pass their input through unchanged, so they can sit inside a graph.
 *
 * @module
 */

// The AudioWorkletGlobalScope is not in TypeScript's libs: declare the little used here.
declare const sampleRate: number;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(name: string, processor: new () => AudioWorkletProcessor): void;

/** Accumulates render quanta (128 samples) into 20 ms blocks. */
class BlockCollector {
  readonly size = Math.round(sampleRate / 50);
  #block = new Float32Array(this.size);
  #filled = 0;

  /** Adds samples; calls `onBlock` for each completed block (the array is reused afterwards). */
  add(samples: Float32Array, onBlock: (block: Float32Array) => void): void {
    let offset = 0;
    while (offset < samples.length) {
      const take = Math.min(this.size - this.#filled, samples.length - offset);
      this.#block.set(samples.subarray(offset, offset + take), this.#filled);
      this.#filled += take;
      offset += take;
      if (this.#filled === this.size) {
        onBlock(this.#block);
        this.#filled = 0;
      }
    }
  }
}

function rmsOf(block: Float32Array): number {
  let energy = 0;
  for (const s of block) energy += s * s;
  return Math.sqrt(energy / block.length);
}

function passThrough(inputs: Float32Array[][], outputs: Float32Array[][]): Float32Array | null {
  const input = inputs[0]?.[0];
  const output = outputs[0]?.[0];
  if (input && output) output.set(input);
  return input ?? null;
}

class PcmCaptureProcessor extends AudioWorkletProcessor {
  #collector = new BlockCollector();

  process(inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const input = passThrough(inputs, outputs);
    if (input) {
      this.#collector.add(input, (block) => {
        const pcm = new Int16Array(block.length);
        for (let i = 0; i < block.length; i++) {
          const s = Math.max(-1, Math.min(1, block[i]));
          pcm[i] = s < 0 ? s * 0x8000 : s * 0x7fff;
        }
        this.port.postMessage({ pcm, rms: rmsOf(block) }, [pcm.buffer]);
      });
    }
    return true;
  }
}

class LevelTapProcessor extends AudioWorkletProcessor {
  #collector = new BlockCollector();

  process(inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const input = passThrough(inputs, outputs);
    // No input connected yet (or any more) still counts as silence, so the timeline keeps moving.
    this.#collector.add(input ?? new Float32Array(128), (block) => this.port.postMessage({ rms: rmsOf(block) }));
    return true;
  }
}

registerProcessor("pcm-capture", PcmCaptureProcessor);
registerProcessor("level-tap", LevelTapProcessor);

/**
 * Talks to `whisper_reference.py --serve` (faster-whisper kept loaded in one Python process), so the bench can
 * interleave reference and engine runs on the same audio in one run.
 *
 * @module
 */

/** One reference transcription. */
export interface ReferenceReply {
  text: string;
  /** Wall time of faster-whisper's transcribe (features + encoder + decoding), seconds. */
  seconds: number;
  audio_seconds: number;
  no_speech_prob: number;
}

/** A running reference process; one request at a time. */
export class ReferenceServer {
  private readonly lines: AsyncIterator<string>;
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;

  private constructor(private readonly child: Deno.ChildProcess) {
    this.lines = child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(lineSplitter())[Symbol.asyncIterator]();
    this.writer = child.stdin.getWriter();
  }

  /** Starts the process and waits until it is ready. */
  static async start(python: string, script: string, modelDir: string, threads = 2): Promise<ReferenceServer> {
    const child = new Deno.Command(python, {
      args: [script, "--serve", "--model", modelDir, "--threads", String(threads)],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const server = new ReferenceServer(child);
    const first = await server.lines.next();
    if (first.done || !JSON.parse(first.value).ready) throw new Error("faster-whisper reference did not start");
    return server;
  }

  async transcribe(path: string, computeType: string): Promise<ReferenceReply> {
    await this.writer.write(new TextEncoder().encode(JSON.stringify({ path, compute_type: computeType }) + "\n"));
    const line = await this.lines.next();
    if (line.done) throw new Error("faster-whisper reference exited");
    const reply = JSON.parse(line.value);
    if (reply.error) throw new Error(`faster-whisper reference: ${reply.error}`);
    return reply;
  }

  async close(): Promise<void> {
    await this.writer.close();
    await this.child.status;
  }
}

function lineSplitter(): TransformStream<string, string> {
  let rest = "";
  return new TransformStream({
    transform(chunk, controller) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop() ?? "";
      for (const p of parts) if (p.trim()) controller.enqueue(p);
    },
    flush(controller) {
      if (rest.trim()) controller.enqueue(rest);
    },
  });
}

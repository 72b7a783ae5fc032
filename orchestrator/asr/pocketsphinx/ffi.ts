/**
 * Bindings to Debian's libpocketsphinx 5prealpha (and the bits of libsphinxbase it needs) through Deno FFI. The
 * decoder stays loaded in the process, so an utterance costs no model load and gets true incremental hypotheses.
 * Calls that take real time (init, decoding, end of utterance) are `nonblocking`: they run on a thread of their own
 * and the event loop keeps serving other sessions.
 *
 * @module
 */

const POCKETSPHINX_SYMBOLS = {
  ps_args: { parameters: [], result: "pointer" },
  ps_init: { parameters: ["pointer"], result: "pointer", nonblocking: true },
  ps_free: { parameters: ["pointer"], result: "i32" },
  ps_start_utt: { parameters: ["pointer"], result: "i32" },
  ps_process_raw: { parameters: ["pointer", "buffer", "usize", "i32", "i32"], result: "i32", nonblocking: true },
  ps_end_utt: { parameters: ["pointer"], result: "i32", nonblocking: true },
  ps_get_hyp: { parameters: ["pointer", "buffer"], result: "pointer" },
  ps_get_logmath: { parameters: ["pointer"], result: "pointer" },
  ps_seg_iter: { parameters: ["pointer"], result: "pointer" },
  ps_seg_next: { parameters: ["pointer"], result: "pointer" },
  ps_seg_word: { parameters: ["pointer"], result: "pointer" },
  ps_seg_prob: { parameters: ["pointer", "buffer", "buffer", "buffer"], result: "i32" },
  ps_seg_free: { parameters: ["pointer"], result: "void" },
} as const;

const SPHINXBASE_SYMBOLS = {
  cmd_ln_parse_r: { parameters: ["pointer", "pointer", "i32", "buffer", "i32"], result: "pointer" },
  cmd_ln_free_r: { parameters: ["pointer"], result: "i32" },
  logmath_exp: { parameters: ["pointer", "i32"], result: "f64" },
} as const;

/** The opened libraries. */
export interface PocketsphinxLibrary {
  ps: Deno.DynamicLibrary<typeof POCKETSPHINX_SYMBOLS>["symbols"];
  sphinxbase: Deno.DynamicLibrary<typeof SPHINXBASE_SYMBOLS>["symbols"];
}

/** libpocketsphinx is absent or unusable; the message says which package to install. */
export class PocketsphinxUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PocketsphinxUnavailableError";
  }
}

let opened: PocketsphinxLibrary | undefined;

/** Opens the libraries once per process (they stay open: decoders may live as long as the process). */
export function openPocketsphinx(): PocketsphinxLibrary {
  if (opened) return opened;
  try {
    const sphinxbase = Deno.dlopen("libsphinxbase.so.3", SPHINXBASE_SYMBOLS).symbols;
    const ps = Deno.dlopen("libpocketsphinx.so.3", POCKETSPHINX_SYMBOLS).symbols;
    opened = { ps, sphinxbase };
    return opened;
  } catch (err) {
    throw new PocketsphinxUnavailableError(
      `cannot load libpocketsphinx.so.3 (${err instanceof Error ? err.message : err}) — install the Debian ` +
        "packages pocketsphinx and pocketsphinx-en-us (`deno task setup` does it), and run with --allow-ffi",
    );
  }
}

/** Reads a C string owned by the library (null pointer: empty string). */
export function cString(pointer: Deno.PointerValue): string {
  return pointer === null ? "" : Deno.UnsafePointerView.getCString(pointer);
}

/** Builds a `char*[]` for `cmd_ln_parse_r`; keep the returned holder alive until the call returns. */
export function argv(args: string[]): { pointers: BigUint64Array; keep: Uint8Array[] } {
  const encoder = new TextEncoder();
  const keep = args.map((a) => encoder.encode(`${a}\0`));
  const pointers = new BigUint64Array(keep.length);
  keep.forEach((bytes, i) => pointers[i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(bytes))));
  return { pointers, keep };
}

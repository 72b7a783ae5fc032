/**
 * CPU time of a process, from /proc (Linux): what the benches weigh a service's cost with, less disturbed by other
 * work on a shared machine than wall time.
 *
 * @module
 */

/** CPU seconds (user + system, all threads) that process `pid` has used so far; 10 ms resolution (100 Hz ticks). */
export async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await Deno.readTextFile(`/proc/${pid}/stat`)).split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
}

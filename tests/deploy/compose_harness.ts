/**
 * Runs Compose v5 (the binary setup builds, run standalone: `config` needs no daemon) on the repository's compose
 * files in a scratch folder with a `.env`, and reads the normalised config as JSON.
 *
 * @module
 */
import { DOCKER_CONFIG_DIR } from "../../scripts/setup/compose_plugin.ts";

/** The repository root. */
export const REPO = new URL("../../", import.meta.url).pathname;

/** A normalised compose config (only the parts the tests read are typed). */
export interface ComposeConfig {
  services: Record<string, ComposeService>;
}

/** One service of a normalised compose config. */
export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[] | string;
  environment?: Record<string, string | null>;
  ports?: ({ published: number | string; target: number; protocol?: string } | string)[];
  healthcheck?: { test: string[] | string; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
  user?: string;
  deploy?: {
    resources?: {
      reservations?: { devices?: { driver?: string; count?: number; device_ids?: string[]; capabilities: string[] }[] };
    };
  };
}

/** Output of one docker-compose run. */
export interface ComposeRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Keys the compose files require from `.env` (given on the environment here, as a shell would). */
export const REQUIRED_ENV = {
  LIVEKIT_API_KEY: "test-key",
  LIVEKIT_API_SECRET: "test-secret-0123456789abcdef0123456789",
};

/**
 * Copies the compose files into a scratch folder with `dotEnv` as its `.env`, runs `docker-compose <args>` there and
 * removes the folder.
 */
export async function compose(
  args: string[],
  options: { dotEnv?: string; env?: Record<string, string> } = {},
): Promise<ComposeRun> {
  const dir = await Deno.makeTempDir({ prefix: "compose-test-" });
  try {
    for (
      const file of [
        "docker-compose.yml",
        "docker-compose.multi-gpu.yml",
        "docker-compose.cosyvoice-cpu.yml",
        "docker-compose.prod.yml",
      ]
    ) {
      await Deno.copyFile(`${REPO}${file}`, `${dir}/${file}`);
    }
    const dotEnv = options.dotEnv ?? await Deno.readTextFile(`${REPO}.env.example`);
    await Deno.writeTextFile(`${dir}/.env`, dotEnv);
    const out = await new Deno.Command(`${DOCKER_CONFIG_DIR}/cli-plugins/docker-compose`, {
      args,
      cwd: dir,
      clearEnv: true,
      env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: dir, ...REQUIRED_ENV, ...options.env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: out.code,
      stdout: new TextDecoder().decode(out.stdout),
      stderr: new TextDecoder().decode(out.stderr),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The normalised config for `fileArgs` (e.g. `["--profile", "cosyvoice"]`); throws with compose's message. */
export async function composeConfig(
  fileArgs: string[] = [],
  options: { dotEnv?: string; env?: Record<string, string> } = {},
): Promise<ComposeConfig> {
  const run = await compose([...fileArgs, "config", "--format", "json"], options);
  if (run.code !== 0) throw new Error(`docker compose ${fileArgs.join(" ")} config failed:\n${run.stderr}`);
  return JSON.parse(run.stdout) as ComposeConfig;
}

/** The services a profile selection actually starts. */
export function activeServices(config: ComposeConfig, profiles: string[]): [string, ComposeService][] {
  return Object.entries(config.services).filter(([, s]) =>
    !s.profiles?.length || s.profiles.some((p) => profiles.includes(p))
  );
}

import { emit } from "./custom";
import { errorText, stringify } from "./serialize";

const LEVELS = ["log", "info", "warn", "error", "debug", "trace", "assert"] as const;
const MAX_ARGS = 20;

let busy = false;

/**
 * Records console calls as `reel.console` events and still calls the page's console. Returns
 * the function that restores the original methods.
 */
export function captureConsole(): () => void {
  const c = console as unknown as Record<string, (...a: unknown[]) => void>;
  const originals: [string, (...a: unknown[]) => void][] = [];
  for (const level of LEVELS) {
    const orig = c[level];
    if (typeof orig !== "function") continue;
    originals.push([level, orig]);
    c[level] = function (this: unknown, ...args: unknown[]) {
      // A failure or a console call made while serialising must not recurse or throw.
      if (!busy) {
        busy = true;
        try {
          record(level, args);
        } catch {
          // ignore
        }
        busy = false;
      }
      return orig.apply(this, args);
    };
  }
  return () => {
    for (const [level, orig] of originals) c[level] = orig;
  };
}

function record(level: string, args: unknown[]): void {
  if (level === "assert") {
    if (args[0]) return;
    args = args.slice(1);
  }
  const payload: { level: string; args: string[]; stack?: string } = {
    level,
    args: args.slice(0, MAX_ARGS).map(stringify),
  };
  const err = args.find((a) => a instanceof Error) as Error | undefined;
  if (err) payload.stack = err.stack || errorText(err);
  else if (level === "error" || level === "trace" || level === "assert") {
    // Where the call came from, minus this wrapper's own frames.
    payload.stack = (new Error().stack || "").split("\n").slice(3).join("\n");
  }
  emit("reel.console", payload);
}

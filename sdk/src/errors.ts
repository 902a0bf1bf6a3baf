import { emit } from "./custom";
import { cap, stringify } from "./serialize";

/** Records uncaught errors and unhandled promise rejections as `reel.error` events. */
export function captureErrors(listen: (t: EventTarget, type: string, fn: (e: Event) => void) => void): void {
  listen(window, "error", (ev) => {
    // Resource load failures (img, script) also fire "error" on window in the capture phase;
    // they are not ErrorEvents and the network capture covers them.
    if (!(ev instanceof ErrorEvent)) return;
    const err = ev.error as Error | undefined;
    emit("reel.error", {
      kind: "error",
      message: cap(ev.message || (err && err.message) || "Error"),
      name: err?.name,
      stack: err?.stack && cap(err.stack),
      source: ev.filename || undefined,
      line: ev.lineno || undefined,
      column: ev.colno || undefined,
    });
  });
  listen(window, "unhandledrejection", (ev) => {
    const r = (ev as PromiseRejectionEvent).reason as unknown;
    const isErr = r instanceof Error;
    emit("reel.error", {
      kind: "unhandledrejection",
      message: isErr ? cap(r.message) : stringify(r),
      name: isErr ? r.name : undefined,
      stack: isErr && r.stack ? cap(r.stack) : undefined,
    });
  });
}

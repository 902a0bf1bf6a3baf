/** Tags of Reel's own signals; the server and dashboard recognise them by this prefix. */
export type ReelTag = `reel.${string}`;

let sink: ((e: { type: 5; timestamp: number; data: { tag: ReelTag; payload: unknown } }) => void) | null = null;

/** Connects emit to the running recorder (null when not recording). */
export function setSink(f: typeof sink): void {
  sink = f;
}

/**
 * Records one of Reel's own signals (console, network, errors, identify, track, …) as an rrweb
 * Custom event (type 5), in the same stream, batch and timeline as the DOM events. Unlike
 * rrweb's addCustomEvent it also works before the page's first snapshot, so an error thrown
 * while the page loads is kept. Does nothing while not recording; never throws.
 */
export function emit(tag: ReelTag, payload: unknown): void {
  try {
    sink?.({ type: 5, timestamp: Date.now(), data: { tag, payload } });
  } catch {
    // Never into the page.
  }
}

import { record } from "rrweb";

/** Tags of Reel's own signals; the server and dashboard recognise them by this prefix. */
export type ReelTag = `reel.${string}`;

/**
 * Records one of Reel's own signals (console, network, errors, identify, track) as an rrweb
 * Custom event, so it lands in the same stream, batch and timeline as the DOM events. Does
 * nothing while not recording.
 */
export function emit(tag: ReelTag, payload: unknown): void {
  try {
    record.addCustomEvent(tag, payload);
  } catch {
    // Not recording (before init, after stop, or before the page finished loading).
  }
}

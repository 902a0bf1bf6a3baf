/** Runs f when the page is idle (at the latest after timeout ms). */
export function whenIdle(f: () => void, timeout: number): void {
  const w = window as unknown as { requestIdleCallback?: (f: () => void, o: { timeout: number }) => number };
  if (w.requestIdleCallback) w.requestIdleCallback(f, { timeout });
  else setTimeout(f, timeout);
}

import { useState } from "preact/hooks";
import type { SessionDetail } from "./api";
import { copy } from "./copy";
import { clock, urlPath, viewport } from "./format";
import type { Digest } from "./timeline";

/** At most this many steps, errors and requests each: a bug report is read, not scrolled. */
const MAX_LINES = 25;

/** Inline code that survives any text: Markdown's backtick fence longer than any run inside. */
function code(s: string): string {
  const runs = s.match(/`+/g) || [];
  const fence = "`".repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  const pad = s.startsWith("`") || s.endsWith("`") ? " " : "";
  return fence + pad + s.replace(/\s+/g, " ").trim() + pad + fence;
}

/** The last n of list, with a line saying how many came before. */
function tail<T>(list: T[], n: number, line: (x: T, i: number) => string, what: string): string[] {
  const out = list.slice(-n).map((x, i) => line(x, i + Math.max(0, list.length - n)));
  if (list.length > n) out.unshift(`_${list.length - n} earlier ${what} not listed._`);
  return out;
}

/**
 * A bug report in Markdown for GitHub, Jira or Linear: the replay link at the moment, what the
 * user did up to it (pages, clicks by element, typing), console errors and failed requests up
 * to it, and the browser. Typed text is never quoted: the recording masks it, and a report is
 * pasted where more people read it than the replay.
 */
export function bugReport(session: SessionDetail, d: Digest, at: number, link: string, summary?: string): string {
  const upTo = d.items.filter((i) => i.at <= at + 500);
  type Step = { at: number; text: string };
  const steps: Step[] = [];
  for (const i of upTo) {
    let text = "";
    switch (i.kind) {
      case "page":
        // URLs as code: a visitor's query string could otherwise carry a Markdown link.
        text = (steps.length ? "Went to " : "Opened ") + code(i.label);
        break;
      case "click":
        text = "Clicked " + (i.label ? code(i.label) : i.detail || "the page");
        break;
      case "input":
        text = i.detail === "checked" || i.detail === "unchecked" ? `${i.detail === "checked" ? "Checked" : "Unchecked"} ${code(i.target || "a box")}` : `Typed into ${i.target ? code(i.target) : "a field"}`;
        break;
      default:
        continue;
    }
    const prev = steps[steps.length - 1];
    // Repeated clicks on one element read as one step with a count.
    if (prev && prev.text.replace(/ \(×\d+\)$/, "") === text && i.kind === "click") {
      const n = Number((prev.text.match(/ \(×(\d+)\)$/) || [])[1] || 1) + 1;
      prev.text = text + ` (×${n})`;
      continue;
    }
    if (prev && prev.text === text) continue;
    steps.push({ at: i.at, text });
  }
  const errors = [
    ...d.errors.filter((e) => e.at <= at + 500).map((e) => ({ at: e.at, text: (e.name && !e.message.startsWith(e.name) ? e.name + ": " : "") + e.message })),
    ...d.console.filter((c) => c.level === "error" && c.at <= at + 500).map((c) => ({ at: c.at, text: "console.error: " + c.text })),
  ].sort((a, b) => a.at - b.at);
  const failed = d.requests.filter((r) => r.failed && r.at <= at + 500);
  const env = [session.browser || "unknown browser", session.os, session.device].filter(Boolean).join(" · ");
  const page = [...upTo].reverse().find((i) => i.kind === "page");
  const lines = [
    `## Bug on ${page ? code(urlPath(page.label)) : "the page"} at ${clock(at)} of a recorded visit`,
    "",
    `**Replay:** ${link} (at ${clock(at)})`,
    `**Page:** ${page ? code(page.label) : "unknown"}`,
    `**Browser:** ${env}${session.viewport && session.viewport.width ? " · viewport " + viewport(session.viewport) : ""}`,
  ];
  if (session.userId) lines.push(`**User:** ${code(session.userId)}`);
  // The summary quotes element text from the recorded page: escaped, so it stays text.
  if (summary) lines.push(`**Whole visit:** ${summary.replace(/\s+/g, " ").trim().replace(/[\\`*_[\]<>()#!|~]/g, "\\$&")}`);
  lines.push("", "### Steps", "");
  lines.push(...(steps.length ? tail(steps, MAX_LINES, (s, i) => `${i + 1}. ${s.text} (${clock(s.at)})`, "steps") : ["_No steps recorded before this moment._"]));
  lines.push("", "### Console errors", "");
  lines.push(...(errors.length ? tail(errors, MAX_LINES, (e) => `- ${code(e.text.length > 300 ? e.text.slice(0, 300) + "…" : e.text)} (${clock(e.at)})`, "errors") : ["None."]));
  lines.push("", "### Failed requests", "");
  lines.push(
    ...(failed.length
      ? tail(failed, MAX_LINES, (r) => `- ${code(`${r.method} ${r.url}`)} → ${r.status || r.failure || "failed"} (${clock(r.at)})`, "requests")
      : ["None."]),
  );
  lines.push("", `_Recorded with Reel, session ${code(session.id)}._`, "");
  return lines.join("\n");
}

/**
 * "Bug report": copies the report at the current moment and shows what was copied, so it can be
 * checked (or copied by hand where the clipboard is refused) before it is pasted.
 */
export function BugReportButton({ session, digest, time, summary }: { session: SessionDetail; digest: Digest | null; time: number; summary?: string }) {
  const [text, setText] = useState<string | null>(null);
  const [state, setState] = useState<"" | "ok" | "fail">("");
  const make = () => {
    if (!digest) return;
    const p = new URLSearchParams(location.search);
    p.set("t", String(Math.round(time)));
    p.delete("pane");
    const report = bugReport(session, digest, time, location.origin + location.pathname + "?" + p.toString(), summary);
    setText(report);
    copy(report).then(
      () => setState("ok"),
      () => setState("fail"),
    );
  };
  return (
    <div class="share bugreport">
      <button type="button" data-testid="bug-report" disabled={!digest} onClick={() => (text === null ? make() : setText(null))} aria-expanded={text !== null} title="Copy a Markdown bug report at this moment, for GitHub, Jira or Linear">
        Bug report
      </button>
      {text !== null && (
        <div class="popover share-pop bugreport-pop" data-testid="bug-report-popover">
          <p class="muted" data-testid="bug-report-status">
            {state === "ok" ? "Copied as Markdown: paste it into GitHub, Jira or Linear." : state === "fail" ? "The browser refused the clipboard: select the text and copy it." : "Copying…"}
          </p>
          <textarea readOnly rows={14} data-testid="bug-report-text" value={text} onFocus={(ev) => ev.currentTarget.select()} />
          <div class="share-actions">
            <button type="button" onClick={make}>
              Copy again at {clock(time)}
            </button>
            <button type="button" class="ghost" onClick={() => setText(null)}>
              Close
            </button>
          </div>
        </div>
      )}
    </div>
  );
}

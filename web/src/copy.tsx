import { useState } from "preact/hooks";

export async function copy(text: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Plain-HTTP deployments have no Clipboard API.
  const ta = document.createElement("textarea");
  ta.value = text;
  ta.setAttribute("readonly", "");
  ta.style.position = "fixed";
  ta.style.opacity = "0";
  document.body.appendChild(ta);
  ta.select();
  const ok = document.execCommand("copy");
  ta.remove();
  if (!ok) throw new Error("copy failed");
}

export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [state, setState] = useState<"" | "ok" | "fail">("");
  const click = () => {
    copy(text).then(
      () => setState("ok"),
      () => setState("fail"),
    );
    setTimeout(() => setState(""), 1500);
  };
  return (
    <button type="button" class="copy" data-testid="copy" onClick={click}>
      {state === "ok" ? "Copied" : state === "fail" ? "Press Ctrl+C" : label}
    </button>
  );
}

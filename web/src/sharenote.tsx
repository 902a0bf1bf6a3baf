import { clock } from "./format";

/** The share popover's choices: open the link at the current moment, and a note for whoever
 * opens it. */
export function ShareOptions({
  time,
  value,
  onChange,
}: {
  time: number;
  value: { atNow: boolean; note: string };
  onChange: (v: { atNow: boolean; note: string }) => void;
}) {
  return (
    <div class="share-options">
      <label class="toggle">
        <input
          type="checkbox"
          data-testid="share-at-now"
          checked={value.atNow}
          onChange={(ev) => onChange({ ...value, atNow: ev.currentTarget.checked })}
        />
        Open at current time ({clock(time)})
      </label>
      <input
        type="text"
        data-testid="share-comment"
        placeholder="Comment for whoever opens it (optional)"
        maxLength={500}
        value={value.note}
        onInput={(ev) => onChange({ ...value, note: ev.currentTarget.value })}
      />
    </div>
  );
}

/** What the link's maker wrote for whoever opens it, above the shared replay. */
export function ShareNoteBanner({ note, at, seek }: { note: string; at: number; seek: (ms: number) => void }) {
  return (
    <div class="share-comment" data-testid="share-comment-shown">
      <span class="muted">Shared with a note{at > 0 ? " at " : ""}</span>
      {at > 0 && (
        <button type="button" class="link mono" onClick={() => seek(at)}>
          {clock(at)}
        </button>
      )}
      <span class="muted">: </span>
      <q>{note}</q>
    </div>
  );
}

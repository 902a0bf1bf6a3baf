import { useState } from "preact/hooks";
import { request } from "./api";
import { absolute } from "./format";

/** A playlist item's note, shown in its row and editable in place (PUT …/sessions/{id} with
 * {"note"}: the session keeps its place). */
export function PinNote({
  playlist,
  session,
  note,
  addedAt,
  saved,
}: {
  playlist: number;
  session: string;
  note: string;
  addedAt: string;
  saved: () => void;
}) {
  const [text, setText] = useState<string | null>(null);
  const [err, setErr] = useState("");
  const save = async (ev: Event) => {
    ev.preventDefault();
    setErr("");
    try {
      await request("PUT", "/playlists/" + playlist + "/sessions/" + encodeURIComponent(session), { note: text ?? "" });
      setText(null);
      saved();
    } catch (e) {
      setErr(e instanceof Error ? e.message : String(e));
    }
  };
  // Clicks and keys inside the note must not open the row's replay.
  const stop = (ev: Event) => ev.stopPropagation();
  if (text !== null)
    return (
      <form class="pin-note-form" onSubmit={save} onClick={stop} onKeyDown={stop}>
        <input
          data-testid="pin-note-input"
          aria-label="Note"
          maxLength={500}
          value={text}
          placeholder="Why is this session here?"
          ref={(el) => el?.focus()}
          onInput={(ev) => setText(ev.currentTarget.value)}
        />
        <button type="submit" class="primary" data-testid="pin-note-save">
          Save
        </button>
        <button type="button" class="ghost" onClick={() => setText(null)}>
          Cancel
        </button>
        {err && <span class="error">{err}</span>}
      </form>
    );
  return (
    <span class="pin-note">
      <span class="note" data-testid="pin-note" title={"Pinned " + absolute(addedAt)}>
        {note}
      </span>
      <button
        type="button"
        class="ghost"
        data-testid="pin-note-edit"
        onClick={(ev) => {
          ev.stopPropagation();
          setText(note);
        }}
      >
        {note ? "Edit note" : "Add note"}
      </button>
    </span>
  );
}

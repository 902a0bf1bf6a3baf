import { useEffect, useState } from "preact/hooks";
import { request } from "./api";
import { absolute, clock } from "./format";

/** A comment on a session at a moment (GET /api/v1/sessions/{id}/comments). */
export interface Comment {
  id: string;
  sessionId: string;
  at: number;
  body: string;
  author: string;
  authorId: number;
  createdAt: string;
  editedAt?: string;
  mine: boolean;
  canDelete: boolean;
}

const enc = encodeURIComponent;

export const commentsApi = {
  list: (session: string) => request<{ comments: Comment[] }>("GET", "/sessions/" + enc(session) + "/comments"),
  create: (session: string, at: number, body: string) =>
    request<Comment>("POST", "/sessions/" + enc(session) + "/comments", { at, body }),
  edit: (id: string, body: string) => request<Comment>("PATCH", "/comments/" + enc(id), { body }),
  remove: (id: string) => request<void>("DELETE", "/comments/" + enc(id)),
};

/** The session's comments, kept fresh after each change made here. A shared view has none. */
export function useComments(session: string, enabled: boolean): [Comment[], () => void] {
  const [list, setList] = useState<Comment[]>([]);
  const [n, setN] = useState(0);
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    commentsApi.list(session).then(
      (r) => live && setList(r.comments),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [session, enabled, n]);
  return [list, () => setN((x) => x + 1)];
}

/** Comment markers along the timeline: one per comment at its moment; a click seeks there. */
export function CommentMarkers({ comments, total, seek }: { comments: Comment[]; total: number; seek: (ms: number) => void }) {
  if (comments.length === 0 || total <= 0) return null;
  return (
    <div class="comment-track" data-testid="comment-track" aria-label="Comments">
      <div class="comment-rail">
      {comments.map((c) => (
        <button
          type="button"
          class="comment-marker"
          data-testid="comment-marker"
          data-at={c.at}
          style={{ left: `${Math.min(100, (c.at / total) * 100)}%` }}
          title={`${clock(c.at)} · ${c.author}: ${c.body}`}
          aria-label={`Comment at ${clock(c.at)} by ${c.author}`}
          onClick={() => seek(c.at)}
        />
      ))}
      </div>
    </div>
  );
}

/** The Session pane's comments: listed with author and time, click to seek; a box to add one
 * at the current moment; edit and delete one's own (admins delete any). */
export function CommentsPane({
  session,
  comments,
  reload,
  time,
  seek,
}: {
  session: string;
  comments: Comment[];
  reload: () => void;
  time: number;
  seek: (ms: number) => void;
}) {
  const [text, setText] = useState("");
  const [editing, setEditing] = useState<{ id: string; text: string } | null>(null);
  const [err, setErr] = useState("");
  const run = async (f: () => Promise<unknown>) => {
    setErr("");
    try {
      await f();
      reload();
      return true;
    } catch (e) {
      setErr(e instanceof Error ? e.message : String(e));
      return false;
    }
  };
  const at = Math.round(time);
  return (
    <div class="comments" data-testid="comments">
      <h3>Comments</h3>
      {comments.length === 0 && <p class="muted">No comments yet.</p>}
      <ul>
        {comments.map((c) => (
          <li data-testid="comment" data-comment-id={c.id}>
            <div class="comment-head">
              <button type="button" class="link mono" data-testid="comment-seek" title="Go to this moment" onClick={() => seek(c.at)}>
                {clock(c.at)}
              </button>
              <b data-testid="comment-author">{c.author}</b>
              <span class="muted" title={absolute(c.createdAt)}>
                {absolute(c.createdAt)}
                {c.editedAt ? " · edited" : ""}
              </span>
            </div>
            {editing && editing.id === c.id ? (
              <form
                class="comment-form"
                onSubmit={async (ev) => {
                  ev.preventDefault();
                  if (await run(() => commentsApi.edit(c.id, editing.text))) setEditing(null);
                }}
              >
                <textarea
                  data-testid="comment-edit-text"
                  value={editing.text}
                  maxLength={2000}
                  onInput={(ev) => setEditing({ id: c.id, text: ev.currentTarget.value })}
                />
                <div class="row">
                  <button type="submit" class="primary" data-testid="comment-save">
                    Save
                  </button>
                  <button type="button" onClick={() => setEditing(null)}>
                    Cancel
                  </button>
                </div>
              </form>
            ) : (
              <p class="comment-body" data-testid="comment-body">
                {c.body}
              </p>
            )}
            {(c.mine || c.canDelete) && !(editing && editing.id === c.id) && (
              <div class="row comment-actions">
                {c.mine && (
                  <button type="button" class="ghost" data-testid="comment-edit" onClick={() => setEditing({ id: c.id, text: c.body })}>
                    Edit
                  </button>
                )}
                <button
                  type="button"
                  class="ghost danger"
                  data-testid="comment-delete"
                  onClick={() => confirm("Delete this comment?") && run(() => commentsApi.remove(c.id))}
                >
                  Delete
                </button>
              </div>
            )}
          </li>
        ))}
      </ul>
      <form
        class="comment-form"
        onSubmit={async (ev) => {
          ev.preventDefault();
          if (!text.trim()) return;
          if (await run(() => commentsApi.create(session, at, text))) setText("");
        }}
      >
        <textarea
          data-testid="comment-text"
          placeholder={`Comment at ${clock(at)}…`}
          value={text}
          maxLength={2000}
          onInput={(ev) => setText(ev.currentTarget.value)}
        />
        <button type="submit" class="primary" data-testid="comment-add" disabled={!text.trim()}>
          Comment at {clock(at)}
        </button>
      </form>
      {err && <p class="error">{err}</p>}
    </div>
  );
}

/**
 * What the player says when a session or share link cannot be opened: a headline and one
 * line that adds to it. The server's message is shown only when it says more than the
 * headline (an expired link's date); for an invalid link it would only repeat it.
 */
export function loadError(error: { status: number; code: string; message: string }): { title: string; detail: string } {
  switch (error.code) {
    case "share_expired":
      return { title: "This share link has expired", detail: error.message };
    case "share_revoked":
      return { title: "This share link was revoked", detail: error.message };
    case "share_invalid":
      return { title: "This share link is not valid", detail: "Check that the whole link was copied, or ask whoever sent it for a new one." };
  }
  if (error.status === 404) return { title: "Session not found", detail: "It may have expired or been deleted." };
  return { title: "Could not load this session", detail: error.message };
}

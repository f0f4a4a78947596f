// Shared by the page (app.js) and the verification worker (verify-worker.js).

/** The message of the server's JSON error body (`{"error": ...}`), or the HTTP status. */
export async function errorText(res) {
  try {
    const j = await res.json();
    if (j && typeof j.error === "string") return j.error;
  } catch {
    // not JSON: the status says enough
  }
  return `HTTP ${res.status}`;
}

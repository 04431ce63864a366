// Sign-in with the admin token: checked against the gateway before it is kept (in sessionStorage, see session.ts).

import { useState } from "preact/hooks";
import { adminClient, asGatewayError } from "../api.ts";

export function SignIn({ onSignIn, note }: { onSignIn: (token: string) => void; note: string | null }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    const t = token.trim();
    if (!t) return;
    setBusy(true);
    setError(null);
    try {
      // The cheapest admin call (no actor is asked): proves the token before the page switches over.
      await adminClient(t).providers.list.query();
      onSignIn(t);
    } catch (err) {
      const g = asGatewayError(err);
      setError(g.kind === "refused" ? "That token was refused: it is not the gateway's ADMIN_TOKEN." : g.kind === "unreachable" ? "The gateway is unreachable; try again." : g.message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card signin" onSubmit={(e) => void submit(e)} aria-labelledby="signin-h">
      <h2 id="signin-h">Sign in</h2>
      <p class="muted">The operator views (charts, request log, keys, actions) need the gateway's admin token. It is kept for this browser tab only.</p>
      {note ? <p class="warn">{note}</p> : null}
      <div class="field-row">
        <div class="field">
          <label for="admin-token">Admin token</label>
          <input
            id="admin-token"
            type="password"
            autocomplete="current-password"
            spellcheck={false}
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
            aria-describedby={error ? "signin-error" : undefined}
            aria-invalid={error ? true : undefined}
            required
          />
        </div>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </div>
      {error ? (
        <p id="signin-error" class="error" role="alert">
          {error}
        </p>
      ) : null}
    </form>
  );
}

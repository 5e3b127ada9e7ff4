// Sign in with an API token (`rataura2 token create --role editor`); viewers read, editors change.
import { useState, type FormEvent } from "react";

export function Login({ signIn, error }: { signIn: (token: string) => Promise<string | null>; error?: string | undefined }) {
  const [token, setToken] = useState("");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | undefined>(error);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!token.trim()) return;
    setBusy(true);
    setMessage((await signIn(token)) ?? undefined);
    setBusy(false);
  }

  return (
    <main className="login">
      <form className="login-card" onSubmit={submit}>
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden>
            ◆
          </span>{" "}
          rataura2 <span className="brand-sub">Studio</span>
        </div>
        <p className="muted">Design, lint, try, publish and inspect your assistant's conversations.</p>
        <label htmlFor="token">API token</label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          autoFocus
          placeholder="r2_…"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          aria-describedby="token-help"
          aria-invalid={message ? true : undefined}
        />
        {message && (
          <div className="field-error" role="alert">
            {message}
          </div>
        )}
        <button type="submit" className="btn btn-primary btn-block" disabled={busy || !token.trim()}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p id="token-help" className="hint">
          Ask your administrator for a token, or make one: <code>rataura2 token create --role editor</code>. A viewer token
          shows everything read-only.
        </p>
      </form>
    </main>
  );
}

// The page: header (views, last updated, sign-out), the gateway-unreachable banner, and the current view — the
// public summary without a token, the operator's views with one.

import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { type AdminClient, adminClient } from "./api.ts";
import { Banner } from "./components/banner.tsx";
import { clock } from "./format.ts";
import { NoticeContext } from "./notice.ts";
import { ConnectionContext, useConnectionState } from "./poll.ts";
import { useView, type View } from "./route.ts";
import { savedToken, saveToken } from "./session.ts";
import { KeysView } from "./views/keys.tsx";
import { ModelsView } from "./views/models.tsx";
import { OverviewView } from "./views/overview.tsx";
import { PublicView } from "./views/public.tsx";
import { RequestsView } from "./views/requests.tsx";

const TITLES: Record<View, string> = { overview: "Overview", models: "Providers and models", requests: "Requests", keys: "Keys" };

export function App() {
  const conn = useConnectionState();
  const [token, setToken] = useState(savedToken);
  const [signInNote, setSignInNote] = useState<string | null>(null);
  const admin = useMemo<AdminClient | null>(() => (token ? adminClient(token) : null), [token]);
  const view = useView();
  const [notice, setNotice] = useState<{ text: string; at: number } | null>(null);
  const notify = useCallback((text: string) => setNotice({ text, at: Date.now() }), []);
  const main = useRef<HTMLElement>(null);

  const signIn = useCallback((t: string) => {
    saveToken(t);
    setSignInNote(null);
    setToken(t);
  }, []);
  const signOut = useCallback((note: string | null) => {
    saveToken(null);
    setSignInNote(note);
    setToken(null);
  }, []);

  // A token that stops working (rotated on the server) signs the page out rather than failing forever.
  useEffect(() => {
    if (admin && (conn.problem?.kind === "refused" || conn.problem?.kind === "admin_off")) {
      signOut(conn.problem.kind === "refused" ? "The gateway no longer accepts that admin token. Sign in again." : conn.problem.message);
    }
  }, [admin, conn.problem, signOut]);

  // The browser tests time navigation start → these marks: "interactive" when the page (sign-in, views, links)
  // is on screen and answers input, "ready" when the first data is on screen too.
  useLayoutEffect(() => {
    performance.mark("freeway:interactive");
  }, []);
  const marked = useRef(false);
  useLayoutEffect(() => {
    if (conn.lastOk !== null && !marked.current) {
      marked.current = true;
      performance.mark("freeway:ready");
      document.documentElement.dataset.ready = "true";
    }
  }, [conn.lastOk]);

  useEffect(() => {
    document.title = admin ? `${TITLES[view]} · freeway dashboard` : "freeway dashboard";
  }, [admin, view]);

  useEffect(() => {
    if (!notice) return;
    const t = setTimeout(() => setNotice(null), 8000);
    return () => clearTimeout(t);
  }, [notice]);

  return (
    <ConnectionContext.Provider value={conn}>
      <NoticeContext.Provider value={notify}>
        <a
          class="skip"
          href="#main"
          onClick={(e) => {
            // The hash holds the view; jump by focus instead.
            e.preventDefault();
            main.current?.focus();
          }}
        >
          Skip to content
        </a>
        <header class="top">
          <div class="brand">
            <img src="/dashboard/icon.svg" alt="" width={28} height={28} />
            <h1>freeway</h1>
          </div>
          {admin ? (
            <nav aria-label="Views">
              <ul>
                {(Object.keys(TITLES) as View[]).map((v) => (
                  <li key={v}>
                    <a href={`#${v}`} aria-current={v === view ? "page" : undefined}>
                      {TITLES[v]}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          ) : null}
          <div class="meta">
            <p class="updated">
              <span class={`dot ${conn.problem ? "down" : conn.lastOk ? "up" : ""}`} aria-hidden="true" />
              Last updated <time data-testid="last-updated">{conn.lastOk ? clock(conn.lastOk) : "never"}</time>
            </p>
            {admin ? (
              <button type="button" onClick={() => signOut(null)}>
                Sign out
              </button>
            ) : null}
          </div>
        </header>
        <Banner conn={conn} />
        <p class="notice" role="status" aria-live="polite">
          {notice?.text ?? ""}
        </p>
        <main id="main" ref={main} tabIndex={-1}>
          {!admin ? (
            <PublicView onSignIn={signIn} note={signInNote} />
          ) : view === "overview" ? (
            <OverviewView admin={admin} />
          ) : view === "models" ? (
            <ModelsView admin={admin} />
          ) : view === "requests" ? (
            <RequestsView admin={admin} />
          ) : (
            <KeysView admin={admin} />
          )}
        </main>
      </NoticeContext.Provider>
    </ConnectionContext.Provider>
  );
}

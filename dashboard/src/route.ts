// Views live in the URL's hash (#overview, #models, …), so Back, reload and links work without a server route.

import { useEffect, useState } from "preact/hooks";

export const VIEWS = ["overview", "models", "requests", "keys"] as const;
export type View = (typeof VIEWS)[number];

function current(): View {
  const h = location.hash.replace(/^#\/?/, "");
  return (VIEWS as readonly string[]).includes(h) ? (h as View) : "overview";
}

export function useView(): View {
  const [view, setView] = useState<View>(current);
  useEffect(() => {
    const on = (): void => setView(current());
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return view;
}

// Confirmation before any change: `ask()` opens a modal question and resolves true only on its confirm button.

import type { ComponentChildren } from "preact";
import { useCallback, useRef, useState } from "preact/hooks";
import { Dialog } from "./dialog.tsx";

export interface Question {
  title: string;
  body: ComponentChildren;
  /** the confirm button's label: the action itself ("Set limits", "Disable model") */
  confirm: string;
  danger?: boolean;
}

export function useConfirm(): [ComponentChildren, (q: Question) => Promise<boolean>] {
  const [question, setQuestion] = useState<Question | null>(null);
  const resolver = useRef<((ok: boolean) => void) | null>(null);
  const ask = useCallback((q: Question) => {
    resolver.current?.(false);
    setQuestion(q);
    return new Promise<boolean>((resolve) => {
      resolver.current = resolve;
    });
  }, []);
  const answer = useCallback((ok: boolean) => {
    const r = resolver.current;
    resolver.current = null;
    r?.(ok);
    setQuestion(null);
  }, []);
  const onClose = useCallback(() => answer(false), [answer]);
  const element = (
    <Dialog open={question !== null} title={question?.title ?? ""} role="alertdialog" onClose={onClose}>
      <div class="dialog-body">{question?.body}</div>
      <div class="dialog-actions">
        <button type="button" onClick={() => answer(false)} autoFocus>
          Cancel
        </button>
        <button type="button" class={question?.danger ? "danger" : "primary"} onClick={() => answer(true)}>
          {question?.confirm ?? "Confirm"}
        </button>
      </div>
    </Dialog>
  );
  return [element, ask];
}

// A modal dialog on the native <dialog>: the browser traps focus, Escape closes it, and focus returns to the
// button that opened it.

import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

interface Props {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  /** alertdialog: a question that needs an answer (confirmations) */
  role?: "dialog" | "alertdialog";
  wide?: boolean;
}

let seq = 0;

export function Dialog({ open, title, onClose, children, role = "dialog", wide = false }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useRef(`dlg-${++seq}`);
  const opener = useRef<Element | null>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      opener.current = document.activeElement;
      d.showModal();
    } else if (!open && d.open) {
      d.close();
    }
  }, [open]);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    const closed = (): void => {
      onClose();
      if (opener.current instanceof HTMLElement && opener.current.isConnected) opener.current.focus();
    };
    d.addEventListener("close", closed);
    return () => d.removeEventListener("close", closed);
  }, [onClose]);
  return (
    <dialog ref={ref} role={role} aria-labelledby={id.current} class={wide ? "wide" : undefined}>
      {open ? (
        <>
          <div class="dialog-head">
            <h2 id={id.current}>{title}</h2>
            <button type="button" class="icon" aria-label="Close" onClick={() => ref.current?.close()}>
              ×
            </button>
          </div>
          {children}
        </>
      ) : null}
    </dialog>
  );
}

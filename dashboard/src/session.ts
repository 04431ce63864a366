// The admin token lives in sessionStorage only: it is gone when the tab closes, and never written anywhere else.

const KEY = "freeway.adminToken";

export function savedToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    // storage can be switched off; the operator then signs in on every load
    return null;
  }
}

export function saveToken(token: string | null): void {
  try {
    if (token === null) sessionStorage.removeItem(KEY);
    else sessionStorage.setItem(KEY, token);
  } catch {
    // see savedToken
  }
}

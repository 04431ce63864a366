// What an action did, announced in the page's polite live region, so its effect is seen and heard at once.

import { createContext } from "preact";

export const NoticeContext = createContext<(message: string) => void>(() => undefined);

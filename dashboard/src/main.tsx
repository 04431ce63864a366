// The dashboard's entry: the app into #app (styles.css is its own entry, linked from index.html).

import { render } from "preact";
import { App } from "./app.tsx";

const root = document.getElementById("app");
if (root) {
  root.textContent = "";
  render(<App />, root);
}

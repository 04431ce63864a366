import { describe, expect, it } from "vitest";
import { SETTINGS } from "../../shared/settings.ts";
// Vite's ?raw import reads the file at build time, inside the test pool.
import readme from "../../README.md?raw";

describe("README", () => {
  it("documents every setting the code reads", () => {
    const missing = SETTINGS.filter((s) => !readme.includes(`| \`${s.name}\` |`)).map((s) => s.name);
    expect(missing).toEqual([]);
  });

  it("promises the three commands", () => {
    for (const cmd of ["npm install", "npm start", "npm test"]) expect(readme).toContain(cmd);
  });
});

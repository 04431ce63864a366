import { describe, expect, it } from "vitest";
import { catalogFor } from "../../shared/catalog/index.ts";
import { EMBEDDING_MODELS, EMBEDDING_PREFERENCE } from "../../shared/catalog/models.ts";
import { HttpError } from "../../worker/errors.ts";
import { checkDimensions, resolveSpace } from "../../worker/embeddings/space.ts";

const ALL_KEYS = {
  GEMINI_API_KEY: "k",
  NVIDIA_API_KEY: "k",
  VOYAGE_API_KEY: "k",
  CLOUDFLARE_API_TOKEN: "k",
  CLOUDFLARE_ACCOUNT_ID: "acct",
  GROQ_API_KEY: "k",
};

function refusal(f: () => unknown): HttpError {
  try {
    f();
  } catch (e) {
    if (e instanceof HttpError) return e;
    throw e;
  }
  throw new Error("expected a refusal");
}

describe("embedding spaces", () => {
  it("lists only embedding models and families in the preference order", () => {
    const catalog = catalogFor({});
    for (const name of EMBEDDING_PREFERENCE) {
      const models = catalog.model(name) ? [catalog.model(name)] : catalog.families.get(name);
      expect(models?.length, name).toBeGreaterThan(0);
      for (const m of models ?? []) expect(m?.kind, name).toBe("embedding");
    }
  });

  it("gives every Matryoshka model a default size among its options", () => {
    for (const m of EMBEDDING_MODELS) {
      const o = m.dimensionOptions;
      if (!o) continue;
      const d = m.dimensions as number;
      expect("min" in o ? d >= o.min && d <= o.max : o.includes(d), m.id).toBe(true);
    }
  });

  it("makes auto the first configured entry of the preference order, the same every time", () => {
    const all = catalogFor({ ...ALL_KEYS });
    const s = resolveSpace(all, "auto", undefined);
    expect(s.name).toBe("bge-m3");
    expect(s.models.map((m) => m.id).sort()).toEqual(["nvidia/baai/bge-m3", "workers-ai/@cf/baai/bge-m3"]);
    expect(resolveSpace(all, "auto", undefined)).toEqual(s);
    // Only Gemini configured: its model, whatever else the catalog holds.
    expect(resolveSpace(catalogFor({ GEMINI_API_KEY: "k" }), "auto", undefined).name).toBe("gemini/gemini-embedding-001");
    // Only NVIDIA: the bge-m3 space, served by its one configured copy.
    const nv = resolveSpace(catalogFor({ NVIDIA_API_KEY: "k" }), "auto", undefined);
    expect(nv.models.map((m) => m.id)).toEqual(["nvidia/baai/bge-m3"]);
  });

  it("lets the operator pin auto to a model id or a family", () => {
    const all = catalogFor({ ...ALL_KEYS });
    expect(resolveSpace(all, "auto", "voyage/voyage-3.5").models.map((m) => m.id)).toEqual(["voyage/voyage-3.5"]);
    expect(resolveSpace(all, "auto", "bge-m3").name).toBe("bge-m3");
    // A pinned id with a family still fails over to the identical copy.
    expect(resolveSpace(all, "auto", "nvidia/baai/bge-m3").models).toHaveLength(2);
    // A pin that names no embedding model is the operator's mistake: 503 saying so, not a 400 for the caller.
    const wrong = refusal(() => resolveSpace(all, "auto", "groq/llama-3.1-8b-instant"));
    expect([wrong.status, wrong.code]).toEqual([503, "embedding_model_misconfigured"]);
    expect(wrong.message).toContain("EMBEDDING_MODEL");
  });

  it("resolves a named model to it and its identical copies only; bare upstream names work", () => {
    const all = catalogFor({ ...ALL_KEYS });
    expect(resolveSpace(all, "workers-ai/@cf/baai/bge-m3", undefined).name).toBe("bge-m3");
    expect(resolveSpace(all, "gemini-embedding-001", undefined).models.map((m) => m.id)).toEqual(["gemini/gemini-embedding-001"]);
    expect(resolveSpace(all, "voyage-3-lite", undefined).models.map((m) => m.id)).toEqual(["voyage/voyage-3-lite"]);
  });

  it("refuses chat models and presets with a 400 naming model, and unconfigured ones with a 503", () => {
    const all = catalogFor({ ...ALL_KEYS });
    const chat = refusal(() => resolveSpace(all, "groq/llama-3.1-8b-instant", undefined));
    expect([chat.status, chat.param, chat.code]).toEqual([400, "model", "model_not_embedding"]);
    expect(refusal(() => resolveSpace(all, "auto:smart", undefined)).status).toBe(400);
    const none = refusal(() => resolveSpace(catalogFor({}), "voyage/voyage-3.5", undefined));
    expect([none.status, none.code]).toEqual([503, "no_provider_configured"]);
    expect(refusal(() => resolveSpace(catalogFor({}), "auto", undefined)).status).toBe(503);
  });

  it("treats any name under a wildcard custom provider as an embedding model on this route", () => {
    const c = catalogFor({ CUSTOM_PROVIDERS: JSON.stringify([{ id: "ollama", baseUrl: "http://127.0.0.1:11434/v1", models: "*" }]) });
    const s = resolveSpace(c, "ollama/nomic-embed-text", undefined);
    expect(s.models[0]).toMatchObject({ id: "ollama/nomic-embed-text", kind: "embedding" });
  });

  it("checks dimensions against every copy: offered sizes pass, the fixed size is not sent, others are a 400", () => {
    const all = catalogFor({ ...ALL_KEYS });
    const gemini = resolveSpace(all, "gemini/gemini-embedding-001", undefined);
    expect(checkDimensions(gemini, 768)).toBe(768);
    expect(refusal(() => checkDimensions(gemini, 4096)).param).toBe("dimensions");
    const voyage = resolveSpace(all, "voyage/voyage-3.5-lite", undefined);
    expect(checkDimensions(voyage, 2048)).toBe(2048);
    expect(refusal(() => checkDimensions(voyage, 1000)).message).toContain("256, 512, 1024, 2048");
    const m3 = resolveSpace(all, "bge-m3", undefined);
    expect(checkDimensions(m3, 1024)).toBeUndefined();
    expect(checkDimensions(m3, undefined)).toBeUndefined();
    expect(refusal(() => checkDimensions(m3, 512)).code).toBe("unsupported_value");
  });
});

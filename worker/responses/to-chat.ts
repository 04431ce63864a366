// A Responses request as a chat completions request: instructions and conversation items become messages,
// function tools and text.format become their chat forms. Everything chat providers cannot take was refused
// by validation already.

import { badRequest } from "../errors.ts";
import type { ChatMessage, ChatRequest, JsonObject } from "../validate.ts";
import type { Item, ResponsesRequest } from "./validate.ts";

/** Content parts in chat form: text and image_url. */
function chatParts(content: JsonObject[]): JsonObject[] {
  return content.map((p): JsonObject => {
    if (p.type === "input_image") {
      const image: JsonObject = { url: p.image_url as string };
      if (typeof p.detail === "string") image.detail = p.detail;
      return { type: "image_url", image_url: image };
    }
    return { type: "text", text: (p.type === "refusal" ? p.refusal : p.text) as string };
  });
}

/** The text of an assistant turn (chat assistant content is a string). */
function assistantText(content: string | JsonObject[]): string {
  if (typeof content === "string") return content;
  return content.map((p) => (p.type === "refusal" ? (p.refusal as string) : typeof p.text === "string" ? p.text : "")).join("");
}

/**
 * Items → chat messages. A function call joins the assistant turn before it (text and calls of one answer are
 * one chat message); an output must answer a call made earlier in the conversation, as chat providers require.
 * `firstNew` is the index of the first item of this request, for naming a bad one.
 */
export function toMessages(items: readonly Item[], firstNew: number): ChatMessage[] {
  const messages: ChatMessage[] = [];
  const calls = new Set<string>();
  let open: ChatMessage | null = null; // the assistant message that function calls may still join
  for (const [i, it] of items.entries()) {
    if (it.type === "message") {
      if (it.role === "assistant") {
        open = { role: "assistant", content: assistantText(it.content) };
        messages.push(open);
        continue;
      }
      open = null;
      // Providers differ on "developer"; "system" is understood everywhere.
      const role = it.role === "developer" ? "system" : it.role;
      const content = typeof it.content === "string" ? it.content : role === "system" ? assistantText(it.content) : chatParts(it.content);
      messages.push({ role, content });
    } else if (it.type === "function_call") {
      calls.add(it.call_id);
      const call: JsonObject = { id: it.call_id, type: "function", function: { name: it.name, arguments: it.arguments } };
      if (open) {
        open.tool_calls = [...((open.tool_calls as JsonObject[] | undefined) ?? []), call];
        if (open.content === "") open.content = null;
      } else {
        open = { role: "assistant", content: null, tool_calls: [call] };
        messages.push(open);
      }
    } else {
      if (!calls.has(it.call_id)) {
        const at = i - firstNew;
        throw badRequest(
          `No function call with call_id '${it.call_id.slice(0, 64)}' comes before this function_call_output`,
          at >= 0 ? `input[${at}].call_id` : "previous_response_id",
          "invalid_value",
        );
      }
      open = null;
      messages.push({ role: "tool", tool_call_id: it.call_id, content: it.output });
    }
  }
  return messages;
}

/** The chat request that answers a Responses request, given the earlier conversation (`history`). */
export function toChatRequest(req: ResponsesRequest, history: readonly Item[]): ChatRequest {
  const messages = toMessages([...history, ...req.input], history.length);
  if (req.instructions !== null) messages.unshift({ role: "system", content: req.instructions });
  const chat: JsonObject = { model: req.model, messages: messages as JsonObject[] };
  if (req.models) chat.models = req.models;
  if (req.tools.length > 0) {
    chat.tools = req.tools.map((t) => {
      const fn: JsonObject = { name: t.name as string };
      if (t.description !== null) fn.description = t.description as string;
      if (t.parameters !== null) fn.parameters = t.parameters as JsonObject;
      return { type: "function", function: fn };
    });
    const c = req.tool_choice;
    chat.tool_choice = typeof c === "string" ? c : { type: "function", function: { name: (c as JsonObject).name as string } };
    if (req.parallel_tool_calls !== null) chat.parallel_tool_calls = req.parallel_tool_calls;
  }
  if (req.max_output_tokens !== null) chat.max_tokens = req.max_output_tokens;
  if (req.temperature !== null) chat.temperature = req.temperature;
  if (req.top_p !== null) chat.top_p = req.top_p;
  if (req.user !== null) chat.user = req.user;
  const f = req.format;
  if (f.type === "json_object") chat.response_format = { type: "json_object" };
  else if (f.type === "json_schema") {
    const { type: _type, ...schema } = f;
    chat.response_format = { type: "json_schema", json_schema: schema };
  }
  if (req.stream) {
    chat.stream = true;
    // Usage for response.completed: asked for always, since the Responses stream reports it.
    chat.stream_options = { include_usage: true };
  }
  return chat as ChatRequest;
}

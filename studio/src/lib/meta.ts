// Pick-lists for the forms, read from the server's own OpenAPI document (the enums of rataura2.db.models), so the
// studio offers what the API accepts; and which optional endpoints this server has.

export interface Meta {
  enums: Record<string, string[]>;
  paths: Set<string>;
  /** POST /sessions takes a `version` (run a chosen published version). */
  sessionVersions: boolean;
}

export const NO_META: Meta = { enums: {}, paths: new Set(), sessionVersions: false };

type Schema = { enum?: unknown[]; $ref?: string; anyOf?: Schema[]; allOf?: Schema[]; oneOf?: Schema[]; properties?: Record<string, Schema> };

function resolve(doc: { components?: { schemas?: Record<string, Schema> } }, schema: Schema | undefined, depth = 0): string[] | null {
  if (!schema || depth > 5) return null;
  if (Array.isArray(schema.enum)) return schema.enum.map(String);
  if (schema.$ref) {
    const name = schema.$ref.split("/").pop() ?? "";
    return resolve(doc, doc.components?.schemas?.[name], depth + 1);
  }
  for (const options of [schema.anyOf, schema.allOf, schema.oneOf]) {
    for (const option of options ?? []) {
      const found = resolve(doc, option, depth + 1);
      if (found) return found;
    }
  }
  return null;
}

/** Enum values of the named fields wherever a schema of the document declares them. */
export function enumsFromOpenApi(doc: unknown, fields: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const typed = doc as { components?: { schemas?: Record<string, Schema> } };
  for (const schema of Object.values(typed.components?.schemas ?? {})) {
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      if (!fields.includes(name) || out[name]) continue;
      const values = resolve(typed, property);
      if (values) out[name] = values.filter((v) => v !== "null");
    }
  }
  return out;
}

export const ENUM_FIELDS = ["agent_type", "llm_provider", "stt_provider", "tts_provider", "condition_type"] as const;

export async function loadMeta(fetcher: typeof fetch = (...a) => fetch(...a)): Promise<Meta> {
  try {
    const response = await fetcher("/openapi.json");
    const doc = (await response.json()) as { paths?: Record<string, unknown>; components?: { schemas?: Record<string, Schema> } };
    return {
      enums: enumsFromOpenApi(doc, ENUM_FIELDS),
      paths: new Set(Object.keys(doc.paths ?? {})),
      sessionVersions: Boolean(doc.components?.schemas?.SessionCreate?.properties?.version),
    };
  } catch {
    return NO_META;
  }
}

/** Model names to suggest per provider; any other name can be typed. */
export const MODEL_SUGGESTIONS: Record<string, Record<string, string[]>> = {
  llm: {
    offline: ["echo"],
    openai: ["gpt-4.1-mini", "gpt-4.1", "gpt-4o-mini"],
    anthropic: ["claude-sonnet-4-5", "claude-haiku-4-5"],
    google: ["gemini-2.5-flash", "gemini-2.5-pro"],
    gemini: ["gemini-2.5-flash", "gemini-2.5-pro"],
    livekit: ["openai/gpt-4.1-mini", "google/gemini-2.5-flash"],
  },
  stt: { deepgram: ["nova-3"], openai: ["gpt-4o-transcribe"], google: ["latest_long"], livekit: ["deepgram/nova-3:en"] },
  tts: { elevenlabs: ["eleven_flash_v2_5"], cartesia: ["sonic-3"], openai: ["gpt-4o-mini-tts"], google: [], livekit: ["cartesia/sonic-3"] },
};

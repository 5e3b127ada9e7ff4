// What the forms offer, from the server's GET /api/v1/meta (the enums of the definitions, each condition type's
// data schema, trigger names, model suggestions per provider, features): a form never offers what the API refuses.

export type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  $ref?: string;
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  $defs?: Record<string, JsonSchema>;
  default?: unknown;
  required?: string[];
};

export interface Meta {
  loaded: boolean;
  enums: Record<string, string[]>;
  conditions: Record<string, JsonSchema>;
  triggers: { names: string[]; default: string[] };
  models: Record<string, Record<string, string[]>>;
  features: { chat: boolean; session_versions: boolean; editors_run_sessions: boolean };
}

export const NO_META: Meta = {
  loaded: false,
  enums: {},
  conditions: {},
  triggers: { names: [], default: [] },
  models: {},
  features: { chat: false, session_versions: false, editors_run_sessions: false },
};

/** The enum a field of a schema takes (inline, by $ref into its $defs, or inside an optional anyOf), or null. */
export function fieldEnum(schema: JsonSchema | undefined, field: string): string[] | null {
  const root = schema;
  const resolve = (s: JsonSchema | undefined, depth = 0): string[] | null => {
    if (!s || depth > 4) return null;
    if (Array.isArray(s.enum)) return s.enum.map(String);
    if (s.$ref) return resolve(root?.$defs?.[s.$ref.split("/").pop() ?? ""], depth + 1);
    for (const option of s.anyOf ?? []) {
      const found = resolve(option, depth + 1);
      if (found) return found;
    }
    return null;
  };
  return resolve(schema?.properties?.[field]);
}

/** The options of a condition field: the server's enum for it when it has one, else the form's own list. */
export function conditionOptions(meta: Meta, conditionType: string, field: string, fallback: readonly string[] = []): string[] {
  return fieldEnum(meta.conditions[conditionType], field) ?? [...fallback];
}

/** Whether a condition type reads state (it may name its triggers): its data schema has a `triggers` field. */
export function takesTriggers(meta: Meta, conditionType: string): boolean {
  return Boolean(meta.conditions[conditionType]?.properties?.triggers);
}

/** Model names to suggest for a provider; any other name can be typed. */
export function modelSuggestions(meta: Meta, kind: "llm" | "stt" | "tts", provider: string): string[] {
  return meta.models[kind]?.[provider] ?? [];
}

export function parseMeta(body: unknown): Meta {
  const m = (body ?? {}) as Partial<Meta>;
  return {
    loaded: true,
    enums: m.enums ?? {},
    conditions: m.conditions ?? {},
    triggers: m.triggers ?? NO_META.triggers,
    models: m.models ?? {},
    features: { ...NO_META.features, ...(m.features ?? {}) },
  };
}

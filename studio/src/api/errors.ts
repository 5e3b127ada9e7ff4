// What the API answers when it refuses something, made readable: a message, and the message of each field.

export interface FieldProblem {
  path: string; // dotted, without the "body" prefix: "condition_data.pattern", "rules.0.actions.1"
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly problems: FieldProblem[];

  constructor(status: number, message: string, problems: FieldProblem[] = []) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.problems = problems;
  }

  /** The message for one field (or anything under it), or undefined. */
  fieldMessage(path: string): string | undefined {
    const found = this.problems.filter((p) => p.path === path || p.path.startsWith(path + "."));
    return found.length ? found.map((p) => p.message).join("; ") : undefined;
  }

  /** The message for exactly this path (not what is under it), or undefined. */
  exactMessage(path: string): string | undefined {
    const found = this.problems.filter((p) => p.path === path);
    return found.length ? found.map((p) => p.message).join("; ") : undefined;
  }

  get isConflict(): boolean {
    return this.status === 409;
  }
}

const LOCATION_PREFIXES = new Set(["body", "query", "path", "header"]);

export function locToPath(loc: readonly (string | number)[]): string {
  const parts = [...loc];
  if (parts.length > 1 && LOCATION_PREFIXES.has(String(parts[0]))) parts.shift();
  return parts.map(String).join(".");
}

/** An ApiError from a response status and its JSON body (FastAPI's `{"detail": ...}`). */
export function errorFromBody(status: number, body: unknown): ApiError {
  const detail = body && typeof body === "object" && "detail" in body ? (body as { detail: unknown }).detail : body;
  if (Array.isArray(detail)) {
    const problems = detail
      .filter((d): d is { loc?: (string | number)[]; msg?: string } => !!d && typeof d === "object")
      .map((d) => ({ path: locToPath(d.loc ?? []), message: String(d.msg ?? "invalid") }));
    const summary = problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join("; ");
    return new ApiError(status, summary || `request refused (${status})`, problems);
  }
  // a unique name that is taken is a conflict (409), but it is the name field's to show
  if (typeof detail === "string" && detail && status === 409 && /\b(already (has an? \w+ )?named|is named)\b/.test(detail))
    return new ApiError(status, detail, [{ path: "name", message: detail }]);
  if (typeof detail === "string" && detail) return new ApiError(status, detail);
  return new ApiError(status, defaultMessage(status));
}

function defaultMessage(status: number): string {
  switch (status) {
    case 401:
      return "The token is missing, unknown or revoked: sign in again.";
    case 403:
      return "Your token's role may not do this.";
    case 404:
      return "Not found.";
    case 409:
      return "Someone else changed this conversation: reload and retry.";
    default:
      return `The server answered ${status}.`;
  }
}

/** Whatever a request threw, as an ApiError (a network failure or a bug has no status: 0). */
export function asApiError(exc: unknown): ApiError {
  return exc instanceof ApiError ? exc : new ApiError(0, String(exc));
}

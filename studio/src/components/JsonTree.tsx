// A JSON value as a collapsible tree (the session context, event data).
export function JsonTree({ value, name, depth = 0, open = 1 }: { value: unknown; name?: string; depth?: number; open?: number }) {
  const label = name !== undefined ? <span className="json-key">{name}: </span> : null;
  if (value !== null && typeof value === "object") {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value as Record<string, unknown>);
    const summary = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
    if (entries.length === 0)
      return (
        <div className="json-line">
          {label}
          <span className="json-empty">{Array.isArray(value) ? "[]" : "{}"}</span>
        </div>
      );
    return (
      <details className="json-node" open={depth < open}>
        <summary>
          {label}
          <span className="json-summary">{summary}</span>
        </summary>
        <div className="json-children">
          {entries.map(([k, v]) => (
            <JsonTree key={k} name={k} value={v} depth={depth + 1} open={open} />
          ))}
        </div>
      </details>
    );
  }
  const kind = value === null ? "null" : typeof value;
  return (
    <div className="json-line">
      {label}
      <span className={`json-${kind}`}>{typeof value === "string" ? JSON.stringify(value) : String(value)}</span>
    </div>
  );
}

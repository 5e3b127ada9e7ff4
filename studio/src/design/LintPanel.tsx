// Lint findings as a list; each one selects what it concerns on the canvas.
import type { Agent, Finding, LintReport, Transition } from "../api/types";
import type { Selection } from "./Canvas";

export function LintPanel({
  lint,
  agents,
  transitions,
  onSelect,
}: {
  lint: LintReport | null;
  agents: Agent[];
  transitions: Transition[];
  onSelect: (s: Selection, finding: Finding) => void;
}) {
  const findings = lint?.findings ?? [];
  const errors = findings.filter((f) => f.severity === "error").length;
  const warnings = findings.filter((f) => f.severity === "warning").length;
  const notes = findings.length - errors - warnings;
  const names = new Map(agents.map((a) => [a.id, a.name]));
  const target = (f: Finding): Selection => {
    if (f.transition_ids[0] !== undefined && transitions.some((t) => t.id === f.transition_ids[0])) return { kind: "transition", id: f.transition_ids[0] };
    if (f.agent_ids[0] !== undefined && names.has(f.agent_ids[0])) return { kind: "agent", id: f.agent_ids[0] };
    return null;
  };
  return (
    <section className="lint-panel" aria-label="Lint findings" data-testid="lint-findings" data-count={findings.length}>
      <h3>
        Lint{" "}
        {lint === null ? (
          <span className="muted">…</span>
        ) : errors + warnings === 0 && notes === 0 ? (
          <span className="badge badge-ok">no problems</span>
        ) : (
          <>
            {errors > 0 && <span className="badge badge-error">{errors} error{errors > 1 ? "s" : ""}</span>}{" "}
            {warnings > 0 && <span className="badge badge-warn">{warnings} warning{warnings > 1 ? "s" : ""}</span>}{" "}
            {notes > 0 && <span className="badge badge-muted">{notes} note{notes > 1 ? "s" : ""}</span>}
          </>
        )}
      </h3>
      {findings.length > 0 && (
        <ul className="finding-list">
          {findings.map((f, i) => {
            const where = target(f);
            return (
              <li key={i} className={`finding finding-${f.severity}`} data-testid="lint-finding" data-code={f.code} data-severity={f.severity}>
                <button type="button" className="finding-button" disabled={!where} onClick={() => onSelect(where, f)}>
                  <span className="finding-icon" aria-hidden>
                    {f.severity === "error" ? "⛔" : f.severity === "warning" ? "⚠" : "ℹ"}
                  </span>
                  <span>
                    <span className="finding-message">{f.message}</span>
                    <span className="finding-code">{f.code.replace(/_/g, " ")}</span>
                  </span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

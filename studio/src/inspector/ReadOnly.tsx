// The inspector for a reader (a viewer token): the agent or the transition as text, not as disabled inputs that
// look broken and are hard to read (greyed, clipped, a select shows one value of many).
import type { Agent, Tool, Transition } from "../api/types";
import { agentFacts } from "../lib/inspectorHints";

export function AgentText({
  agent,
  agents,
  tools,
  outgoing,
  isInitial,
  describe,
  onSelectTransition,
}: {
  agent: Agent;
  agents: Agent[];
  tools: Tool[];
  outgoing: Transition[];
  isInitial: boolean;
  describe: (t: Transition) => string;
  onSelectTransition: (id: number) => void;
}) {
  const names = new Map(agents.map((a) => [a.id, a.name]));
  return (
    <article className="inspector-form" aria-label={`Agent ${agent.name}`} data-testid="agent-text">
      <header className="inspector-head">
        <div>
          <div className="inspector-kind">Agent</div>
          <h2>{agent.name}</h2>
        </div>
        {isInitial && <span className="badge badge-start">Initial agent</span>}
      </header>
      <dl className="facts">
        {agentFacts(agent, tools).map(([label, text]) => (
          <Fact key={label} label={label} text={text} />
        ))}
      </dl>
      <section className="inspector-section" aria-label="Instructions">
        <h3>Instructions</h3>
        <pre className="read-text">{agent.instructions.trim() || "—"}</pre>
      </section>
      <section className="inspector-section">
        <h3>Transitions out ({outgoing.length})</h3>
        <TransitionLinks outgoing={outgoing} names={names} describe={describe} onSelect={onSelectTransition} />
      </section>
    </article>
  );
}

export function TransitionText({
  transition,
  agents,
  describe,
  onSelectAgent,
}: {
  transition: Transition;
  agents: Agent[];
  describe: (t: Transition) => string;
  onSelectAgent: (id: number) => void;
}) {
  const name = (id: number) => agents.find((a) => a.id === id)?.name ?? `agent #${id}`;
  return (
    <article className="inspector-form" aria-label="Transition" data-testid="transition-text">
      <header className="inspector-head">
        <div>
          <div className="inspector-kind">Transition</div>
          <h2>
            <button type="button" className="btn-link" onClick={() => onSelectAgent(transition.source_agent_id)}>
              {name(transition.source_agent_id)}
            </button>{" "}
            →{" "}
            <button type="button" className="btn-link" onClick={() => onSelectAgent(transition.target_agent_id)}>
              {name(transition.target_agent_id)}
            </button>
          </h2>
        </div>
      </header>
      <dl className="facts">
        <Fact label="When" text={describe(transition)} testId="condition-text" />
        <Fact label="Priority" text={`${transition.priority} (higher is checked first)`} />
        <Fact label="Description" text={transition.description?.trim() || "—"} />
      </dl>
    </article>
  );
}

function Fact({ label, text, testId }: { label: string; text: string; testId?: string }) {
  return (
    <>
      <dt>{label}</dt>
      <dd data-testid={testId}>{text}</dd>
    </>
  );
}

/** An agent's outgoing transitions as links that select them: target, condition in words, priority. */
export function TransitionLinks({
  outgoing,
  names,
  describe,
  onSelect,
}: {
  outgoing: Transition[];
  names: Map<number, string>;
  describe: (t: Transition) => string;
  onSelect: (id: number) => void;
}) {
  return (
    <ul className="link-list">
      {outgoing.map((t) => (
        <li key={t.id}>
          <button type="button" className="btn-link" onClick={() => onSelect(t.id)}>
            → {names.get(t.target_agent_id)}
            <span className="muted"> · {describe(t)}</span>
            {t.priority !== 0 && <span className="edge-priority">P{t.priority}</span>}
          </button>
        </li>
      ))}
    </ul>
  );
}

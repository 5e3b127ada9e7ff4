// An agent on the canvas: its name, type, models and tools; the initial agent marked; lint and traffic on it.
import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";
import { memo } from "react";
import type { Agent, Finding } from "../api/types";

export interface AgentNodeData extends Record<string, unknown> {
  agent: Agent;
  initial: boolean;
  findings: Finding[];
  traffic?: { active: number; ended: number } | undefined;
  active?: boolean;
  visited?: boolean;
  editable: boolean;
}

export type AgentNodeType = Node<AgentNodeData, "agent">;

function models(agent: Agent): string {
  const parts = [`LLM ${agent.llm_provider}${agent.llm_model ? ` · ${agent.llm_model}` : ""}`];
  if (agent.stt_provider && agent.stt_provider !== "none") parts.push(`STT ${agent.stt_provider}`);
  if (agent.tts_provider && agent.tts_provider !== "none") parts.push(`TTS ${agent.tts_provider}`);
  return parts.join(" · ");
}

export const AgentNode = memo(function AgentNode({ data, selected }: NodeProps<AgentNodeType>) {
  const { agent, initial, findings, traffic, active, visited, editable } = data;
  const tools = agent.tool_ids.length;
  const warn = findings.length > 0;
  const classes = ["agent-node", !editable && "is-readonly", initial && "is-initial", selected && "is-selected", warn && "has-findings", active && "is-active", visited && "is-visited"]
    .filter(Boolean)
    .join(" ");
  return (
    <div
      className={classes}
      data-testid="agent-node"
      data-agent-name={agent.name}
      data-agent-id={agent.id}
      data-initial={initial ? "true" : undefined}
      data-active={active ? "true" : undefined}
      title={findings.map((f) => f.message).join("\n") || agent.description || undefined}
    >
      <Handle type="target" position={Position.Left} className="handle handle-target" isConnectable={editable} />
      <div className="agent-node-head">
        {initial && (
          <span className="badge badge-start" title="Initial agent: sessions start here">
            Start
          </span>
        )}
        <span className="agent-node-name">{agent.name}</span>
        {warn && (
          <span
            className={`badge ${findings.some((f) => f.severity === "error") ? "badge-error" : "badge-warn"}`}
            data-testid="node-lint"
            data-codes={[...new Set(findings.map((f) => f.code))].join(" ")}
            aria-label={`${findings.length} lint finding(s): ${findings.map((f) => f.message).join("; ")}`}
          >
            ⚠ {findings.length}
          </span>
        )}
      </div>
      <div className="agent-node-type">{agent.agent_type.replace(/_/g, " ")}</div>
      <div className="agent-node-meta">{models(agent)}</div>
      <div className="agent-node-meta">
        {tools === 0 ? "no tools" : tools === 1 ? "1 tool" : `${tools} tools`}
        {!agent.is_active && <span className="muted"> · inactive</span>}
      </div>
      {traffic && (traffic.ended > 0 || traffic.active > 0) && (
        <div className="agent-node-traffic" data-testid="node-traffic">
          {traffic.ended > 0 && <span title="Recorded sessions that ended here">■ ended {traffic.ended}</span>}
          {traffic.active > 0 && <span title="Sessions here now">● active {traffic.active}</span>}
        </div>
      )}
      <Handle type="source" position={Position.Right} className="handle handle-source" isConnectable={editable} title="Drag to another agent to add a transition" />
    </div>
  );
});

// A transition on the canvas: an arrow between the agents' borders, labelled with its condition in words and its
// priority; bent apart from its siblings; lint and traffic on it.
import { BaseEdge, EdgeLabelRenderer, useInternalNode, type Edge, type EdgeProps } from "@xyflow/react";
import { memo } from "react";
import type { Finding, Transition } from "../api/types";
import { edgeShape, type Rect } from "../lib/edgeGeometry";

export interface TransitionEdgeData extends Record<string, unknown> {
  transition: Transition;
  label: string;
  fullLabel: string;
  offset: number;
  selfIndex: number;
  findings: Finding[];
  count?: number | undefined;
  strokeWidth: number;
  taken?: boolean;
  onSelect?: (id: number) => void;
}

export type TransitionEdgeType = Edge<TransitionEdgeData, "transition">;

function rectOf(node: ReturnType<typeof useInternalNode>): Rect | null {
  if (!node) return null;
  const width = node.measured.width ?? 0;
  const height = node.measured.height ?? 0;
  if (!width || !height) return null;
  return { x: node.internals.positionAbsolute.x, y: node.internals.positionAbsolute.y, width, height };
}

export const TransitionEdge = memo(function TransitionEdge({ id, source, target, data, selected, markerEnd }: EdgeProps<TransitionEdgeType>) {
  const sourceRect = rectOf(useInternalNode(source));
  const targetRect = rectOf(useInternalNode(target));
  if (!sourceRect || !targetRect || !data) return null;
  const shape = edgeShape(sourceRect, source === target ? sourceRect : targetRect, data.offset, data.selfIndex);
  const warn = data.findings.length > 0;
  const count = data.count;
  const classes = ["transition-edge", selected && "is-selected", warn && "has-findings", count === 0 && "is-untaken", data.taken && "is-taken"]
    .filter(Boolean)
    .join(" ");
  const t = data.transition;
  return (
    <g className={classes} data-testid="transition-edge" data-transition-id={t.id} data-condition-type={t.condition_type}>
      <BaseEdge id={id} path={shape.path} markerEnd={markerEnd} style={{ strokeWidth: data.strokeWidth }} interactionWidth={18} />
      <EdgeLabelRenderer>
        <div
          className={`edge-label ${classes}`}
          style={{ transform: `translate(-50%, -50%) translate(${shape.label.x}px, ${shape.label.y}px)` }}
          title={`${data.fullLabel}${t.priority ? ` (priority ${t.priority})` : ""}${data.findings.map((f) => `\n⚠ ${f.message}`).join("")}`}
          data-testid="transition-label"
          data-transition-id={t.id}
          onClick={() => data.onSelect?.(t.id)}
        >
          {t.priority !== 0 && <span className="edge-priority">P{t.priority}</span>}
          <span className="edge-text">{data.label}</span>
          {warn && <span className="edge-warn">⚠</span>}
          {count !== undefined && (
            <span className="edge-count" data-testid="edge-traffic" title={`${count} recorded session(s) took this transition`}>
              ×{count}
            </span>
          )}
        </div>
      </EdgeLabelRenderer>
    </g>
  );
});

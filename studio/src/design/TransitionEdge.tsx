// A transition on the canvas: an arrow between the agents' borders (routed by the canvas: bent apart from its
// siblings and around other agents), labelled with its priority and its condition in words; lint and traffic on it.
// The label is one element (its priority chip is drawn by CSS from data-priority): a big graph has hundreds.
import { BaseEdge, EdgeLabelRenderer, type Edge, type EdgeProps } from "@xyflow/react";
import { memo } from "react";
import type { Finding, Transition } from "../api/types";
import type { Route } from "../lib/edgeGeometry";

export interface TransitionEdgeData extends Record<string, unknown> {
  transition: Transition;
  label: string;
  fullLabel: string;
  /** Its path and label point, routed with every other edge (Canvas, routeEdges); null until its agents are placed. */
  route: Route | null;
  /** How many transitions leave its source agent: with more than one, the priority says which is checked first. */
  siblings: number;
  /** A big graph's edge: no wide invisible path to click (its label is what one clicks), half the elements to draw. */
  thin?: boolean;
  findings: Finding[];
  count?: number | undefined;
  strokeWidth: number;
  taken?: boolean;
  onSelect?: (id: number) => void;
}

export type TransitionEdgeType = Edge<TransitionEdgeData, "transition">;

export const TransitionEdge = memo(function TransitionEdge({ id, data, selected, markerEnd }: EdgeProps<TransitionEdgeType>) {
  if (!data?.route) return null;
  const shape = data.route;
  const warn = data.findings.length > 0;
  const count = data.count;
  const classes = ["transition-edge", selected && "is-selected", warn && "has-findings", count === 0 && "is-untaken", data.taken && "is-taken"]
    .filter(Boolean)
    .join(" ");
  const t = data.transition;
  const order = data.siblings > 1 ? `priority ${t.priority}: checked before the lower ones of its agent` : `priority ${t.priority}`;
  return (
    <g className={classes} data-testid="transition-edge" data-transition-id={t.id} data-condition-type={t.condition_type} data-priority={t.priority}>
      <BaseEdge id={id} path={shape.path} markerEnd={markerEnd} style={{ strokeWidth: data.strokeWidth }} interactionWidth={data.thin ? 0 : 18} />
      <EdgeLabelRenderer>
        <div
          className={`edge-label ${classes}`}
          style={{ transform: `translate(-50%, -50%) translate(${shape.label.x}px, ${shape.label.y}px)` }}
          title={`${data.fullLabel} (${order})${data.findings.map((f) => `\n⚠ ${f.message}`).join("")}`}
          data-testid="transition-label"
          data-transition-id={t.id}
          data-priority={`P${t.priority}`}
          data-zero-priority={t.priority === 0 ? "" : undefined}
          onClick={() => data.onSelect?.(t.id)}
        >
          {data.label}
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
}, sameEdge);

/** Whether an edge draws the same: its route is in ``data`` (React Flow's own handle positions, which change as the
 * agents are measured, are not used: redrawing every edge for them costs the first page a quarter of a second). */
function sameEdge(a: EdgeProps<TransitionEdgeType>, b: EdgeProps<TransitionEdgeType>): boolean {
  return a.id === b.id && a.data === b.data && a.selected === b.selected && a.markerEnd === b.markerEnd;
}

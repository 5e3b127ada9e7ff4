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

/** The classes an edge and its label carry: what CSS colours them by. */
export function edgeClasses(data: TransitionEdgeData, selected: boolean | undefined): string {
  return [
    "transition-edge",
    selected && "is-selected",
    data.findings.length > 0 && "has-findings",
    data.count === 0 && "is-untaken",
    data.taken && "is-taken",
  ]
    .filter(Boolean)
    .join(" ");
}

/** An edge's label: its condition in words, the priority chip (CSS), lint and traffic; clicking it selects the edge. */
export function TransitionLabel({ data, classes, ariaLabel }: { data: TransitionEdgeData; classes: string; ariaLabel?: string | undefined }) {
  const route = data.route!;
  const t = data.transition;
  const count = data.count;
  const order = data.siblings > 1 ? `priority ${t.priority}: checked before the lower ones of its agent` : `priority ${t.priority}`;
  const select = () => data.onSelect?.(t.id);
  return (
    <div
      className={`edge-label ${classes}`}
      style={{ transform: `translate(-50%, -50%) translate(${route.label.x}px, ${route.label.y}px)` }}
      title={`${data.fullLabel} (${order})${data.findings.map((f) => `\n⚠ ${f.message}`).join("")}`}
      data-testid="transition-label"
      data-transition-id={t.id}
      data-priority={`P${t.priority}`}
      data-zero-priority={t.priority === 0 ? "" : undefined}
      onClick={select}
      {...(ariaLabel
        ? {
            role: "button",
            tabIndex: 0,
            "aria-label": ariaLabel,
            onKeyDown: (e: React.KeyboardEvent) => {
              if (e.key === "Enter" || e.key === " ") {
                e.preventDefault();
                select();
              }
            },
          }
        : {})}
    >
      {data.label}
      {data.findings.length > 0 && <span className="edge-warn">⚠</span>}
      {count !== undefined && (
        <span className="edge-count" data-testid="edge-traffic" title={`${count} recorded session(s) took this transition`}>
          ×{count}
        </span>
      )}
    </div>
  );
}

export const TransitionEdge = memo(function TransitionEdge({ id, data, selected, markerEnd }: EdgeProps<TransitionEdgeType>) {
  if (!data?.route) return null;
  const classes = edgeClasses(data, selected);
  const t = data.transition;
  return (
    <g className={classes} data-testid="transition-edge" data-transition-id={t.id} data-condition-type={t.condition_type} data-priority={t.priority}>
      <BaseEdge id={id} path={data.route.path} markerEnd={markerEnd} style={{ strokeWidth: data.strokeWidth }} interactionWidth={data.thin ? 0 : 18} />
      <EdgeLabelRenderer>
        <TransitionLabel data={data} classes={classes} />
      </EdgeLabelRenderer>
    </g>
  );
}, sameEdge);

/** Whether an edge draws the same: its route is in ``data`` (React Flow's own handle positions, which change as the
 * agents are measured, are not used: redrawing every edge for them costs the first page a quarter of a second). */
function sameEdge(a: EdgeProps<TransitionEdgeType>, b: EdgeProps<TransitionEdgeType>): boolean {
  return a.id === b.id && a.data === b.data && a.selected === b.selected && a.markerEnd === b.markerEnd;
}

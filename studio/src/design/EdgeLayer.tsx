// A big graph's transitions, drawn by the canvas itself in one layer (one SVG for the arrows, the labels beside it)
// rather than as React Flow edges: React Flow gives every edge an SVG element of its own and a component that
// follows its store, which for 500 transitions costs the first page about half a second of rendering, layout and
// paint. Drawn where React Flow draws edge labels (under the agents, in the canvas's coordinates). What an edge does
// in a big graph is its label's: clicking selects it (the arrows there are thin, nothing to click).
import { EdgeLabelRenderer } from "@xyflow/react";
import { memo, useId } from "react";
import { edgeClasses, TransitionLabel, type TransitionEdgeType } from "./TransitionEdge";

/** Arrowhead colours, as React Flow's markers had them: selected, with lint findings, plain. */
const MARKERS = { selected: "#4f46e5", warn: "#d97706", plain: "#64748b" } as const;

function markerOf(edge: TransitionEdgeType): keyof typeof MARKERS {
  return edge.selected ? "selected" : edge.data!.findings.length ? "warn" : "plain";
}

const LayerEdge = memo(function LayerEdge({ edge, markers }: { edge: TransitionEdgeType; markers: string }) {
  const data = edge.data!;
  const t = data.transition;
  const classes = edgeClasses(data, edge.selected);
  // one element per arrow (CSS colours it by its classes, .edge-layer rules)
  return (
    <path
      className={`react-flow__edge-path ${classes}`}
      d={data.route!.path}
      markerEnd={`url(#${markers}-${markerOf(edge)})`}
      style={{ strokeWidth: data.strokeWidth }}
      data-testid="transition-edge"
      data-transition-id={t.id}
      data-condition-type={t.condition_type}
      data-priority={t.priority}
    />
  );
});

const LayerLabel = memo(function LayerLabel({ edge }: { edge: TransitionEdgeType }) {
  return <TransitionLabel data={edge.data!} classes={edgeClasses(edge.data!, edge.selected)} ariaLabel={edge.ariaLabel} />;
});

export const EdgeLayer = memo(function EdgeLayer({ edges }: { edges: TransitionEdgeType[] }) {
  const markers = `edge-layer-${useId().replace(/:/g, "")}`;
  const routed = edges.filter((e) => e.data?.route);
  return (
    <EdgeLabelRenderer>
      <svg className="edge-layer" aria-hidden="true">
        <defs>
          {Object.entries(MARKERS).map(([name, color]) => (
            // the size of React Flow's closed arrow at the canvas's usual stroke, whatever the stroke's width
            <marker key={name} id={`${markers}-${name}`} viewBox="-10 -10 20 20" markerUnits="userSpaceOnUse" markerWidth="26" markerHeight="26" orient="auto-start-reverse" refX="0" refY="0">
              <polyline points="-5,-4 0,0 -5,4 -5,-4" strokeLinecap="round" strokeLinejoin="round" style={{ stroke: color, fill: color, strokeWidth: 1 }} />
            </marker>
          ))}
        </defs>
        {routed.map((edge) => (
          <LayerEdge key={edge.id} edge={edge} markers={markers} />
        ))}
      </svg>
      {routed.map((edge) => (
        <LayerLabel key={edge.id} edge={edge} />
      ))}
    </EdgeLabelRenderer>
  );
});

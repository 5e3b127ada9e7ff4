// The graph canvas: agents and transitions from the API, laid out from saved positions (auto-layout for agents
// never placed), with selection, connecting, moving and deleting reported to the view that owns the data.
import {
  applyNodeChanges,
  Background,
  Controls,
  MarkerType,
  MiniMap,
  Position as Side,
  ReactFlow,
  getViewportForBounds,
  useReactFlow,
  type Connection,
  type EdgeChange,
  type NodeChange,
  type NodeHandle,
  type OnBeforeDelete,
  type Viewport,
} from "@xyflow/react";
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import type { Agent, Finding, Position, Tool, Transition, Traffic, Vocabulary } from "../api/types";
import { describeCondition, shorten } from "../lib/conditionText";
import { estimateLabel, routeEdges, type Rect } from "../lib/edgeGeometry";
import { fittingLayout, nextFreePosition, NODE_HEIGHT, NODE_WIDTH } from "../lib/layout";
import { AgentNode, type AgentNodeType } from "./AgentNode";
import { EdgeLayer } from "./EdgeLayer";
import { TransitionEdge, type TransitionEdgeType } from "./TransitionEdge";

export type Selection = { kind: "agent"; id: number } | { kind: "transition"; id: number } | null;

export interface CanvasProps {
  agents: Agent[];
  transitions: Transition[];
  tools: Tool[];
  vocabulary: Vocabulary | null;
  initialAgentId: number | null;
  findings?: Finding[];
  traffic?: Traffic | null;
  activeAgentId?: number | null;
  visitedAgentIds?: ReadonlySet<number>;
  takenTransitionIds?: ReadonlySet<number>;
  selection?: Selection;
  editable: boolean;
  /** A small read-only view (the playground's): no minimap, fit whatever the size. */
  compact?: boolean;
  /** Changing it fits the view to the graph (after an auto-layout). */
  fitKey?: number;
  onSelect?: (selection: Selection) => void;
  onConnect?: (source: number, target: number) => void;
  onMove?: (positions: Record<number, Position>) => void;
  onDelete?: (agentIds: number[], transitionIds: number[]) => void;
}

const nodeTypes = { agent: AgentNode };
/** A small graph is seen whole: the minimap would only cover part of it. */
const MINIMAP_FROM = 12;
/** A graph with more transitions than this has thin edges, drawn by the canvas in one layer (EdgeLayer) rather than
 * as React Flow edges; one clicks their labels. */
const THIN_EDGES_FROM = 200;
const NO_EDGES: TransitionEdgeType[] = [];
/** A big graph draws only what is in view (React Flow's own virtualisation): the first page shows at once. */
const VIRTUAL_AGENTS_FROM = 40;
const VIRTUAL_EDGES_FROM = 150;
const NO_FINDINGS: Finding[] = []; // one empty list, so that memoised nodes stay put between renders
const edgeTypes = { transition: TransitionEdge };
// React Flow's props as constants: a new object or array on every render would update its store each time, and
// run the selectors of every edge again (hundreds on a big graph)
// a fitted view shows the whole graph down to 0.3 (a 50-agent graph's overview; below, agents become dots and the
// view keeps the middle of the graph)
const FIT = { padding: 0.1, maxZoom: 1.1, minZoom: 0.3 };
const COMPACT_FIT = { padding: 0.06, maxZoom: 1.1, minZoom: 0.1 };
const DELETE_KEYS = ["Delete", "Backspace"];
const MULTI_SELECT_KEYS = ["Shift", "Meta", "Control"];
const PRO_OPTIONS = { hideAttribution: true };

/** Where an agent's handles are on a node of the usual size (AgentNode, styles.css): given up front with the size,
 * React Flow draws the edges in the first pass instead of after measuring every node (a big graph's first page
 * would draw its 500 transitions a frame later, after a second layout of the page). */
const USUAL_HANDLES: NodeHandle[] = [
  { id: null, type: "target", position: Side.Left, x: -5, y: NODE_HEIGHT / 2 - 5, width: 10, height: 10 },
  { id: null, type: "source", position: Side.Right, x: NODE_WIDTH - 6, y: NODE_HEIGHT / 2 - 6, width: 12, height: 12 },
];

/** The view React Flow's fitView would give (the graph centred, as large as fits, not below the fit's least zoom),
 * from the usual node size: computed before the first render, so that the first page draws the agents in view at
 * once (React Flow draws only those of a big graph), never what a default view would show. */
export function fittingViewport(positions: Record<number, Position>, box: { width: number; height: number }, compact: boolean): Viewport {
  const all = Object.values(positions);
  if (!all.length || !box.width || !box.height) return { x: 0, y: 0, zoom: 1 };
  const minX = Math.min(...all.map((p) => p.x));
  const minY = Math.min(...all.map((p) => p.y));
  const bounds = { x: minX, y: minY, width: Math.max(...all.map((p) => p.x)) - minX + NODE_WIDTH, height: Math.max(...all.map((p) => p.y)) - minY + NODE_HEIGHT };
  const fit = compact ? COMPACT_FIT : FIT;
  return getViewportForBounds(bounds, box.width, box.height, fit.minZoom, fit.maxZoom, fit.padding);
}

/** ``value``, or the value given last time if ``key`` has not changed since (memoised components stay put). */
function useStableByKey<T>(key: string, value: T): T {
  const kept = useRef<{ key: string; value: T } | null>(null);
  if (kept.current === null || kept.current.key !== key) kept.current = { key, value };
  return kept.current.value;
}

function findingsKey(byTransition: Map<number, Finding[]>): string {
  return [...byTransition].map(([id, found]) => `${id}:${found.map((f) => `${f.code}/${f.message}`).join("|")}`).join("\n");
}

/** Where an agent is drawn and how big: a node not measured yet counts as the usual size (most are exactly that:
 * the edges are routed once on the first page, not again when the nodes are measured). */
function rectOf(node: AgentNodeType): Rect {
  return { x: node.position.x, y: node.position.y, width: Math.round(node.measured?.width || NODE_WIDTH), height: Math.round(node.measured?.height || NODE_HEIGHT) };
}

/** Positions for every agent: saved ones, else auto-layout (all unplaced: the whole graph, in the direction that
 * fits ``box`` best; some: beside the rest). */
export function placeAgents(
  agents: Agent[],
  transitions: Transition[],
  initialAgentId: number | null,
  box: { width: number; height: number } = { width: 0, height: 0 },
): Record<number, Position> {
  const unplaced = agents.filter((a) => !a.position);
  const positions: Record<number, Position> = {};
  if (unplaced.length === agents.length && agents.length > 0) {
    return fittingLayout(
      agents.map((a) => a.id),
      transitions.map((t) => ({ id: t.id, source: t.source_agent_id, target: t.target_agent_id })),
      initialAgentId,
      box,
    );
  }
  const placed: Position[] = [];
  for (const a of agents)
    if (a.position) {
      positions[a.id] = a.position;
      placed.push(a.position);
    }
  unplaced.forEach((a, i) => (positions[a.id] = nextFreePosition(placed, i)));
  return positions;
}

/** The canvas fills its box; the box is measured before the graph is drawn (a layout of the page without the graph:
 * cheap), so that the layout and the first view fit it. */
export function Canvas(props: CanvasProps) {
  const fill = useRef<HTMLDivElement>(null);
  const [box, setBox] = useState<{ width: number; height: number } | null>(null);
  useLayoutEffect(() => {
    const rect = fill.current?.getBoundingClientRect();
    setBox({ width: Math.round(rect?.width ?? 0), height: Math.round(rect?.height ?? 0) });
  }, []);
  return (
    <div className="canvas-fill" ref={fill}>
      {box && <FlowCanvas {...props} box={box} />}
    </div>
  );
}

function FlowCanvas(props: CanvasProps & { box: { width: number; height: number } }) {
  const { agents, transitions, tools, vocabulary, initialAgentId, findings = NO_FINDINGS, traffic, activeAgentId, selection, editable } = props;
  const { onSelect, onConnect, onMove, onDelete, compact = false, box } = props;
  const flow = useReactFlow();

  const agentNames = useMemo(() => new Map(agents.map((a) => [a.id, a.name])), [agents]);
  const names = useMemo(() => ({ agents: agentNames, tools: new Map(tools.map((t) => [t.id, t.name])), vocabulary }), [agentNames, tools, vocabulary]);
  // a graph never placed is laid out in the direction that fits the box
  const positions = useMemo(() => placeAgents(agents, transitions, initialAgentId, box), [agents, transitions, initialAgentId, box]);
  // the first view fits the graph; later ones are the user's (or an auto-layout's fit)
  const [firstView] = useState(() => fittingViewport(positions, box, compact));
  const [fitEmpty] = useState(agents.length === 0); // an empty graph: fitted to its first agent once it is measured

  const byAgentNow = useMemo(() => {
    const found = new Map<number, Finding[]>();
    for (const f of findings) if (f.severity !== "info") for (const id of f.agent_ids) found.set(id, [...(found.get(id) ?? []), f]);
    return found;
  }, [findings]);
  const byAgent = useStableByKey(findingsKey(byAgentNow), byAgentNow); // lint without news redraws nothing
  const builtNodes = useMemo<AgentNodeType[]>(() => {
    const trafficByAgent = new Map(traffic?.agents.map((a) => [a.agent_id, a]) ?? []);
    return agents.map((agent) => ({
      id: String(agent.id),
      type: "agent",
      position: positions[agent.id] ?? { x: 0, y: 0 },
      initialWidth: NODE_WIDTH,
      initialHeight: NODE_HEIGHT,
      handles: USUAL_HANDLES,
      selected: selection?.kind === "agent" && selection.id === agent.id,
      ariaLabel: `Agent ${agent.name}`,
      data: {
        agent,
        initial: agent.id === initialAgentId,
        findings: byAgent.get(agent.id) ?? [],
        traffic: traffic ? (trafficByAgent.get(agent.id) ?? { active: 0, ended: 0 }) : undefined,
        active: activeAgentId === agent.id,
        visited: props.visitedAgentIds?.has(agent.id) ?? false,
        editable,
      },
    }));
  }, [agents, positions, byAgent, traffic, activeAgentId, initialAgentId, selection, editable, props.visitedAgentIds]);

  // where the agents are drawn now (moved by a drag before it is saved, measured once rendered): the edges are
  // routed around them, so the key changes only when a position or a size does, not on selection or panning
  const [nodes, setNodes] = useState<AgentNodeType[]>(builtNodes);
  const dragging = useMemo(() => nodes.some((n) => n.dragging), [nodes]);
  // from the nodes as given to React Flow, so that the edges are routed in the same render as the nodes: the first
  // page draws both at once
  const rectsNow = useMemo(() => new Map(nodes.map((n) => [n.id, rectOf(n)])), [nodes]);
  const rects = useStableByKey([...rectsNow].map(([id, r]) => `${id}:${Math.round(r.x)},${Math.round(r.y)},${r.width},${r.height}`).join(";"), rectsNow);

  // lint, the rules vocabulary and traffic arrive after the definitions: the edges are routed and drawn again only
  // if what they show changed (a graph without findings is not redrawn when its lint says so)
  const byTransitionNow = useMemo(() => {
    const found = new Map<number, Finding[]>();
    for (const f of findings) if (f.severity !== "info") for (const id of f.transition_ids) found.set(id, [...(found.get(id) ?? []), f]);
    return found;
  }, [findings]);
  const byTransition = useStableByKey(findingsKey(byTransitionNow), byTransitionNow);
  // sessions that took the edge (a session may take it more than once)
  const counts = useMemo(() => new Map(traffic?.transitions.map((t) => [t.transition_id, t.sessions ?? t.count]) ?? []), [traffic]);
  const labelsNow = useMemo(
    () =>
      new Map(
        transitions.map((t) => {
          const full = describeCondition(t, names);
          const count = traffic ? (counts.get(t.id) ?? 0) : undefined;
          const text = shorten(full);
          const chips = `P${t.priority} `.length + (count === undefined ? 0 : `×${count} `.length) + (byTransition.has(t.id) ? 2 : 0);
          return [t.id, { full, text, count, size: estimateLabel(text, chips) }];
        }),
      ),
    [transitions, names, traffic, counts, byTransition],
  );
  const labels = useStableByKey(
    [...labelsNow].map(([id, l]) => `${id}:${l.full}:${l.count ?? ""}:${l.size.width}`).join("\n"),
    labelsNow,
  );
  const routes = useMemo(
    () =>
      routeEdges(
        rects,
        transitions.map((t) => ({ id: String(t.id), source: String(t.source_agent_id), target: String(t.target_agent_id), label: labels.get(t.id)!.size })),
        { detours: !dragging },
      ),
    [rects, transitions, labels, dragging],
  );

  const builtEdges = useMemo<TransitionEdgeType[]>(() => {
    const maxCount = Math.max(1, ...counts.values());
    const sourceOut = new Map<number, number>();
    for (const t of transitions) sourceOut.set(t.source_agent_id, (sourceOut.get(t.source_agent_id) ?? 0) + 1);
    return transitions.map((t) => {
      const label = labels.get(t.id)!;
      const isSelected = selection?.kind === "transition" && selection.id === t.id;
      const count = label.count;
      const strokeWidth = count !== undefined ? 1.5 + (5 * count) / maxCount : isSelected ? 2.5 : 1.6;
      const arrow = 26 / strokeWidth; // markers scale with the stroke: keep the arrowhead about 26 px whatever the width
      const from = agentNames.get(t.source_agent_id);
      const to = agentNames.get(t.target_agent_id);
      return {
        id: String(t.id),
        type: "transition",
        source: String(t.source_agent_id),
        target: String(t.target_agent_id),
        selected: isSelected,
        ariaLabel: `Transition ${from} to ${to}, priority ${t.priority}: ${label.full}`,
        markerEnd: { type: MarkerType.ArrowClosed, width: arrow, height: arrow, color: isSelected ? "#4f46e5" : byTransition.has(t.id) ? "#d97706" : "#64748b" },
        data: {
          transition: t,
          label: label.text,
          fullLabel: label.full,
          route: routes.get(String(t.id)) ?? null,
          siblings: sourceOut.get(t.source_agent_id) ?? 1,
          thin: transitions.length > THIN_EDGES_FROM,
          findings: byTransition.get(t.id) ?? [],
          count,
          strokeWidth,
          taken: props.takenTransitionIds?.has(t.id) ?? false,
          onSelect: (id: number) => onSelect?.({ kind: "transition", id }),
        },
      };
    });
  }, [transitions, labels, routes, counts, byTransition, agentNames, selection, onSelect, props.takenTransitionIds]);


  useEffect(() => {
    // keep what React Flow measured: a node given without it is measured again, and every edge drawn again
    setNodes((current) => {
      const measured = new Map(current.map((n) => [n.id, n.measured]));
      return builtNodes.map((n) => (measured.get(n.id) ? { ...n, measured: measured.get(n.id) } : n));
    });
  }, [builtNodes]);

  const moved = useRef<Record<number, Position>>({});
  const saveTimer = useRef<number | undefined>(undefined);
  const flushMoves = useCallback(() => {
    const pending = moved.current;
    moved.current = {};
    if (Object.keys(pending).length) onMove?.(pending);
  }, [onMove]);

  const onNodesChange = useCallback(
    (changes: NodeChange<AgentNodeType>[]) => {
      setNodes((current) => applyNodeChanges(changes, current));
      for (const change of changes) {
        if (change.type === "select" && change.selected) onSelect?.({ kind: "agent", id: Number(change.id) });
        if (change.type === "position" && change.position && editable) {
          moved.current[Number(change.id)] = { x: Math.round(change.position.x), y: Math.round(change.position.y) };
          if (!change.dragging) {
            window.clearTimeout(saveTimer.current);
            saveTimer.current = window.setTimeout(flushMoves, 250);
          }
        }
      }
    },
    [editable, flushMoves, onSelect],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange<TransitionEdgeType>[]) => {
      for (const change of changes) if (change.type === "select" && change.selected) onSelect?.({ kind: "transition", id: Number(change.id) });
    },
    [onSelect],
  );

  const handleConnect = useCallback(
    (connection: Connection) => {
      if (connection.source && connection.target) onConnect?.(Number(connection.source), Number(connection.target));
    },
    [onConnect],
  );

  const layered = transitions.length > THIN_EDGES_FROM;
  const beforeDelete = useCallback<OnBeforeDelete<AgentNodeType, TransitionEdgeType>>(
    async ({ nodes: gone, edges }) => {
      const agentIds = gone.map((n) => Number(n.id));
      // in a big graph React Flow knows no edges (EdgeLayer draws them): the deleted agents' ones are found here
      const touched = layered ? transitions.filter((t) => agentIds.includes(t.source_agent_id) || agentIds.includes(t.target_agent_id)).map((t) => t.id) : edges.map((e) => Number(e.id));
      const transitionIds = touched.filter((id) => !transitions.some((t) => t.id === id && agentIds.includes(t.source_agent_id)));
      onDelete?.(agentIds, transitionIds);
      return false; // the view deletes through the API and reloads
    },
    [onDelete, transitions, layered],
  );

  // the Delete key on a selected transition of a big graph (React Flow deletes only the edges it knows)
  const selectedTransition = selection?.kind === "transition" ? selection.id : null;
  useEffect(() => {
    if (!layered || !editable || selectedTransition === null) return;
    const onKey = (e: KeyboardEvent) => {
      const el = e.target as HTMLElement | null;
      const typing = !!el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName) || !!el.closest?.(".cm-editor"));
      if (typing || (e.key !== "Delete" && e.key !== "Backspace")) return;
      e.preventDefault();
      onDelete?.([], [selectedTransition]);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [layered, editable, selectedTransition, onDelete]);

  const fitKey = props.fitKey ?? 0;
  useEffect(() => {
    if (!fitKey) return;
    const timer = window.setTimeout(() => void flow.fitView({ ...FIT, padding: 0.12, duration: 300 }), 120);
    return () => window.clearTimeout(timer);
  }, [fitKey, flow]);

  return (
    <ReactFlow<AgentNodeType, TransitionEdgeType>
      nodes={nodes}
      edges={layered ? NO_EDGES : builtEdges}
      nodeTypes={nodeTypes}
      edgeTypes={edgeTypes}
      onNodesChange={onNodesChange}
      onEdgesChange={onEdgesChange}
      onConnect={editable ? handleConnect : undefined}
      onBeforeDelete={editable ? beforeDelete : undefined}
      onPaneClick={() => onSelect?.(null)}
      nodesDraggable={editable}
      nodesConnectable={editable}
      deleteKeyCode={editable ? DELETE_KEYS : null}
      multiSelectionKeyCode={MULTI_SELECT_KEYS}
      minZoom={0.1}
      maxZoom={2}
      proOptions={PRO_OPTIONS}
      onlyRenderVisibleElements={agents.length > VIRTUAL_AGENTS_FROM || transitions.length > VIRTUAL_EDGES_FROM}
      defaultViewport={firstView}
      fitView={fitEmpty}
      fitViewOptions={compact ? COMPACT_FIT : FIT}
    >
      {layered && <EdgeLayer edges={builtEdges} />}
      <Background gap={20} size={1} color="#e2e8f0" />
      <Controls showInteractive={false} showZoom={!compact} />
      {!compact && agents.length > MINIMAP_FROM && <MiniMap<AgentNodeType> pannable zoomable nodeColor={(n) => (n.data.initial ? "#a5b4fc" : n.data.findings.length ? "#fcd34d" : "#cbd5e1")} />}
    </ReactFlow>
  );
}

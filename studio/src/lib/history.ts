// Undo/redo as two stacks of entries. An entry is whatever restores a state (the studio keeps the conversation
// document before and after each change); the stacks know nothing about it.
export interface History<E> {
  past: E[];
  future: E[];
}

export const LIMIT = 100;

export function emptyHistory<E>(): History<E> {
  return { past: [], future: [] };
}

/** Record a change; a new change forgets what was undone. */
export function record<E>(history: History<E>, entry: E, limit = LIMIT): History<E> {
  return { past: [...history.past, entry].slice(-limit), future: [] };
}

/** The entry to undo and the history after undoing it, or null when there is nothing to undo. */
export function undo<E>(history: History<E>): [E, History<E>] | null {
  const entry = history.past[history.past.length - 1];
  if (entry === undefined) return null;
  return [entry, { past: history.past.slice(0, -1), future: [entry, ...history.future] }];
}

export function redo<E>(history: History<E>): [E, History<E>] | null {
  const entry = history.future[0];
  if (entry === undefined) return null;
  return [entry, { past: [...history.past, entry], future: history.future.slice(1) }];
}

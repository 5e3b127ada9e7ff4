// The code editor, loaded on first use: CodeMirror is most of the studio's code, and the first page needs none of it.
import { lazy, Suspense } from "react";
import type { CodeEditorProps } from "./CodeEditor";

const CodeEditor = lazy(() => import("./CodeEditor").then((m) => ({ default: m.CodeEditor })));

export function Editor(props: CodeEditorProps) {
  return (
    <Suspense fallback={<div className="code-editor code-editor-loading" style={{ minHeight: props.minHeight ?? 80 }} aria-busy="true" />}>
      <CodeEditor {...props} />
    </Suspense>
  );
}

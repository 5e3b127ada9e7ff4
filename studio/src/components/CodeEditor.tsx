// A CodeMirror 6 editor for instructions (Markdown) and CEL expressions.
import { markdown } from "@codemirror/lang-markdown";
import { EditorState, type Extension } from "@codemirror/state";
import { EditorView, keymap, placeholder as placeholderExt } from "@codemirror/view";
import { basicSetup } from "codemirror";
import { useEffect, useRef } from "react";

export interface CodeEditorProps {
  value: string;
  onChange?: (value: string) => void;
  language?: "markdown" | "plain";
  readOnly?: boolean;
  label: string;
  id?: string;
  placeholder?: string;
  minHeight?: number;
  onSubmit?: () => void;
}

export function CodeEditor({ value, onChange, language = "plain", readOnly = false, label, id, placeholder, minHeight = 80, onSubmit }: CodeEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChangeRef = useRef(onChange);
  const onSubmitRef = useRef(onSubmit);
  useEffect(() => {
    onChangeRef.current = onChange;
    onSubmitRef.current = onSubmit;
  });

  useEffect(() => {
    if (!host.current) return;
    const extensions: Extension[] = [
      basicSetup,
      EditorView.lineWrapping,
      EditorState.readOnly.of(readOnly),
      EditorView.editable.of(!readOnly),
      EditorView.contentAttributes.of({ "aria-label": label, ...(id ? { id } : {}) }),
      EditorView.theme({ "&": { minHeight: `${minHeight}px` }, ".cm-scroller": { minHeight: `${minHeight}px` } }),
      keymap.of([{ key: "Mod-Enter", run: () => (onSubmitRef.current?.(), true) }]),
      EditorView.updateListener.of((update) => {
        if (update.docChanged) onChangeRef.current?.(update.state.doc.toString());
      }),
    ];
    if (language === "markdown") extensions.push(markdown());
    if (placeholder) extensions.push(placeholderExt(placeholder));
    const editor = new EditorView({ parent: host.current, state: EditorState.create({ doc: value, extensions }) });
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = null;
    };
    // the editor is made once per configuration; value changes from outside are applied below
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [readOnly, language, label, id, placeholder, minHeight]);

  useEffect(() => {
    const editor = view.current;
    if (editor && editor.state.doc.toString() !== value) {
      editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: value } });
    }
  }, [value]);

  return <div className={`code-editor${readOnly ? " is-readonly" : ""}`} ref={host} data-testid="code-editor" />;
}

// What every inspector form does when it sends something: show it is busy, keep the API's answer to put on the
// fields it names, and clear it once a send goes through.
import { useState } from "react";
import { asApiError, type ApiError } from "../api/errors";

export function useSubmit() {
  const [error, setError] = useState<ApiError | null>(null);
  const [saving, setSaving] = useState(false);
  /** Run ``send``; its failure becomes the form's error (nothing is thrown), its success clears it. */
  async function submit(send: () => Promise<unknown>): Promise<void> {
    setSaving(true);
    try {
      await send();
      setError(null);
    } catch (exc) {
      setError(asApiError(exc));
    } finally {
      setSaving(false);
    }
  }
  return { error, setError, saving, submit };
}

// Who is signed in: the token (kept in this browser), the API client made with it, and what its role may do.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { ApiClient } from "../api/client";
import { ApiError } from "../api/errors";
import type { Me } from "../api/types";

export const TOKEN_KEY = "rataura2.studio.token";
const STORAGE_KEY = TOKEN_KEY;

export interface Auth {
  client: ApiClient;
  me: Me;
  canEdit: boolean;
  canOperate: boolean;
  signOut: () => void;
}

const AuthContext = createContext<Auth | null>(null);

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error("useAuth outside <AuthProvider>");
  return auth;
}

type Status = { state: "checking" } | { state: "signed-out"; error?: string } | { state: "signed-in"; client: ApiClient; me: Me };

export function AuthProvider({ children, login }: { children: ReactNode; login: (signIn: (token: string) => Promise<string | null>, error?: string) => ReactNode }) {
  const [status, setStatus] = useState<Status>(() =>
    localStorage.getItem(STORAGE_KEY) ? { state: "checking" } : { state: "signed-out" },
  );

  const signIn = useCallback(async (token: string): Promise<string | null> => {
    const client = new ApiClient(token.trim());
    try {
      const me = await client.me();
      localStorage.setItem(STORAGE_KEY, client.token);
      setStatus({ state: "signed-in", client, me });
      return null;
    } catch (exc) {
      const message =
        exc instanceof ApiError && exc.status === 401 ? "This token is unknown or revoked." : exc instanceof Error ? exc.message : String(exc);
      setStatus({ state: "signed-out", error: message });
      return message;
    }
  }, []);

  useEffect(() => {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved && status.state === "checking") {
      void signIn(saved).then((error) => {
        if (error) localStorage.removeItem(STORAGE_KEY);
      });
    }
  }, [signIn, status.state]);

  const signOut = useCallback(() => {
    localStorage.removeItem(STORAGE_KEY);
    setStatus({ state: "signed-out" });
  }, []);

  const auth = useMemo<Auth | null>(() => {
    if (status.state !== "signed-in") return null;
    const { me, client } = status;
    return { client, me, canEdit: me.can.edit, canOperate: me.can.operate, signOut };
  }, [status, signOut]);

  if (status.state === "checking") return <div className="splash">Signing in…</div>;
  if (!auth) return <>{login(signIn, status.state === "signed-out" ? status.error : undefined)}</>;
  return <AuthContext.Provider value={auth}>{children}</AuthContext.Provider>;
}

// The server's GET /api/v1/meta, loaded once per sign-in (it needs the token).
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { NO_META, parseMeta, type Meta } from "../lib/meta";
import { useAuth } from "./auth";

const MetaContext = createContext<Meta>(NO_META);

export function MetaProvider({ children }: { children: ReactNode }) {
  const { client } = useAuth();
  const [meta, setMeta] = useState<Meta>(NO_META);
  useEffect(() => {
    let live = true;
    client.request<unknown>("GET", "/meta").then(
      (body) => live && setMeta(parseMeta(body)),
      () => undefined, // the forms fall back to their own lists
    );
    return () => {
      live = false;
    };
  }, [client]);
  return <MetaContext.Provider value={meta}>{children}</MetaContext.Provider>;
}

export function useMeta(): Meta {
  return useContext(MetaContext);
}

import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { loadMeta, type Meta } from "../lib/meta";

const MetaContext = createContext<Meta>({ enums: {}, paths: new Set() });

export function MetaProvider({ children }: { children: ReactNode }) {
  const [meta, setMeta] = useState<Meta>({ enums: {}, paths: new Set() });
  useEffect(() => {
    void loadMeta().then(setMeta);
  }, []);
  return <MetaContext.Provider value={meta}>{children}</MetaContext.Provider>;
}

export function useMeta(): Meta {
  return useContext(MetaContext);
}

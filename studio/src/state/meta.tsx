import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { loadMeta, NO_META, type Meta } from "../lib/meta";

const MetaContext = createContext<Meta>(NO_META);

export function MetaProvider({ children }: { children: ReactNode }) {
  const [meta, setMeta] = useState<Meta>(NO_META);
  useEffect(() => {
    void loadMeta().then(setMeta);
  }, []);
  return <MetaContext.Provider value={meta}>{children}</MetaContext.Provider>;
}

export function useMeta(): Meta {
  return useContext(MetaContext);
}

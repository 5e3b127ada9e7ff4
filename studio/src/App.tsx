// The studio: sign in, then conversations and their views, addressed by the URL's hash.
import { useCallback, useEffect, useState } from "react";
import { parseRoute, routeHash, type Route } from "./lib/route";
import { ConversationPage } from "./pages/ConversationPage";
import { Home } from "./pages/Home";
import { Login } from "./pages/Login";
import { AuthProvider, useAuth } from "./state/auth";
import { MetaProvider } from "./state/meta";

function useRoute(): [Route, (route: Route) => void] {
  const [route, setRoute] = useState<Route>(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  const go = useCallback((next: Route) => {
    window.location.hash = routeHash(next);
  }, []);
  return [route, go];
}

function Shell() {
  const { me, signOut } = useAuth();
  const [route, go] = useRoute();
  return (
    <div className="app">
      <header className="topbar">
        <a className="brand" href="#/">
          <span className="brand-mark" aria-hidden>
            ◆
          </span>{" "}
          rataura2 <span className="brand-sub">Studio</span>
        </a>
        {route.page === "conversation" && (
          <a className="crumb" href="#/">
            ‹ All conversations
          </a>
        )}
        <span className="spacer" />
        <span className="who" data-testid="who">
          {me.name} <span className={`badge role-${me.role}`}>{me.role}</span>
        </span>
        <button type="button" className="btn btn-ghost btn-small" onClick={signOut}>
          Sign out
        </button>
      </header>
      {route.page === "home" ? (
        <Home onOpen={(id) => go({ page: "conversation", conversationId: id, view: "design" })} />
      ) : (
        <ConversationPage
          key={route.conversationId}
          conversationId={route.conversationId}
          view={route.view}
          sessionId={route.sessionId}
          onView={(view) => go({ page: "conversation", conversationId: route.conversationId, view })}
          onSession={(sid) => go({ page: "conversation", conversationId: route.conversationId, view: "sessions", ...(sid ? { sessionId: sid } : {}) })}
        />
      )}
    </div>
  );
}

export function App() {
  return (
    <AuthProvider login={(signIn, error) => <Login signIn={signIn} error={error} />}>
      <MetaProvider>
        <Shell />
      </MetaProvider>
    </AuthProvider>
  );
}

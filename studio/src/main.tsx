import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { ApiClient } from "./api/client";
import { parseRoute } from "./lib/route";
import { TOKEN_KEY } from "./state/auth";
import { prefetchConversation } from "./state/conversationStore";
import "@xyflow/react/dist/style.css";
import "./styles.css";

// opened on a conversation with a token kept from before: its definitions are asked for while the token is checked
const saved = localStorage.getItem(TOKEN_KEY);
const route = parseRoute(window.location.hash);
if (saved && route.page === "conversation") prefetchConversation(new ApiClient(saved), route.conversationId);

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

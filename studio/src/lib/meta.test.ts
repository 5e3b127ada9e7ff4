import { enumsFromOpenApi } from "./meta";

test("enum values are found inline, by reference, and inside optional (anyOf) fields", () => {
  const doc = {
    components: {
      schemas: {
        AgentType: { enum: ["general", "combat"] },
        LLMProvider: { enum: ["offline", "openai"] },
        AgentCreate: {
          properties: {
            agent_type: { $ref: "#/components/schemas/AgentType" },
            llm_provider: { anyOf: [{ $ref: "#/components/schemas/LLMProvider" }, { type: "null" }] },
            stt_provider: { type: "string", enum: ["none", "deepgram"] },
            name: { type: "string" },
          },
        },
      },
    },
  };
  expect(enumsFromOpenApi(doc, ["agent_type", "llm_provider", "stt_provider", "name"])).toEqual({
    agent_type: ["general", "combat"],
    llm_provider: ["offline", "openai"],
    stt_provider: ["none", "deepgram"],
  });
});

import { errorFromBody } from "./errors";

test("a 422 puts each message on its field, without the body prefix", () => {
  const error = errorFromBody(422, {
    detail: [
      { loc: ["body", "condition_data", "pattern"], msg: "String should have at least 1 character" },
      { loc: ["body", "condition_data"], msg: "pattern '(x' is not a valid (RE2) regex" },
      { loc: ["body", "rules", 0], msg: "rule 1: no action" },
    ],
  });
  expect(error.fieldMessage("condition_data.pattern")).toBe("String should have at least 1 character");
  expect(error.exactMessage("condition_data")).toBe("pattern '(x' is not a valid (RE2) regex");
  expect(error.fieldMessage("rules.0")).toBe("rule 1: no action");
  expect(error.fieldMessage("priority")).toBeUndefined();
});

test("a taken name (409) is the name field's message; other conflicts are the form's", () => {
  const taken = errorFromBody(409, { detail: "conversation 1 already has an agent named 'Billing'" });
  expect(taken.fieldMessage("name")).toContain("Billing");
  expect(taken.isConflict).toBe(true);
  const stale = errorFromBody(409, { detail: "conversation 1 is at revision 5, not 4; reload it and edit again" });
  expect(stale.fieldMessage("name")).toBeUndefined();
  expect(stale.message).toContain("revision 5");
});

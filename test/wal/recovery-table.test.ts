// Every combination of segment facts matches exactly one row of the recovery table, and the
// promises the table makes hold over all of them.
import { expect } from "chai";
import { type SegmentFacts, decideRecovery, recoveryRows } from "../../host/wal/index.js";
import { everySegmentFacts } from "../../host/wal/recovery-table.js";

const facts = everySegmentFacts();

describe("wal: recovery table", () => {
  it("every fact combination matches exactly one labelled row", () => {
    expect(facts.length, "5 headers x 3 stops x 3 states x 2^4").to.equal(5 * 3 * 3 * 16);
    expect(new Set(facts.map((f) => JSON.stringify(f))).size).to.equal(facts.length);
    const seen = new Set<string>();
    for (const f of facts) {
      const matching = recoveryRows.filter((row) => row.matches(f));
      expect(matching.length, JSON.stringify(f)).to.equal(1);
      seen.add(decideRecovery(f).label);
    }
    expect([...seen].sort()).to.deep.equal(recoveryRows.map((row) => row.label).sort());
    expect(recoveryRows.map((row) => row.label)).to.deep.equal(["@A", "@B", "@C", "@D", "@E", "@F", "@G", "@H", "@I", "@J", "@K", "@L", "@M"]);
  });

  it("damage outside the last segment is never cut silently", () => {
    for (const f of facts.filter((f) => !f.last)) {
      expect(["accept", "corrupt"], JSON.stringify(f)).to.include(decideRecovery(f).action);
      if (f.header !== "valid" || f.stop !== "clean") expect(decideRecovery(f).action, JSON.stringify(f)).to.equal("corrupt");
    }
  });

  it("a stop proven durable, by a sync mark or by LOGSTATE's floor, is never a torn tail", () => {
    for (const f of facts.filter((f) => f.header === "valid" && f.logState !== "above" && f.stop === "bad" && (f.provenDurable || f.belowDurableFloor))) {
      expect(decideRecovery(f).action, JSON.stringify(f)).to.equal("corrupt");
    }
    const cutBelowFloor: SegmentFacts = { header: "valid", stop: "clean", provenDurable: false, belowDurableFloor: true, restNonZero: true, last: true, logState: "named" };
    expect(decideRecovery(cutBelowFloor).label, "the data ends below the floor").to.equal("@J");
  });

  it("a header LOGSTATE names is never removed as a torn creation", () => {
    for (const f of facts.filter((f) => f.logState === "named")) expect(decideRecovery(f).action, JSON.stringify(f)).to.not.equal("remove-torn-segment");
  });

  it("a segment above LOGSTATE's last one is accepted only when it is the last and holds no byte after its header", () => {
    for (const f of facts.filter((f) => f.logState === "above" && f.header === "valid")) {
      expect(decideRecovery(f).action, JSON.stringify(f)).to.equal(f.last && !f.restNonZero ? "accept" : "corrupt");
    }
  });

  it("an entry that verifies but does not decode, or a header that verifies but is not this file's, is always corruption", () => {
    for (const f of facts.filter((f) => (f.header === "valid" && f.stop === "entry" && f.logState !== "above") || f.header === "wrong")) {
      expect(decideRecovery(f).action, JSON.stringify(f)).to.equal("corrupt");
    }
  });

  it("without LOGSTATE (state none) the rows are the pre-LOGSTATE ones: a torn tail and a torn creation in the last segment", () => {
    const base = { provenDurable: false, belowDurableFloor: false, restNonZero: true, last: true, logState: "none" } as const;
    expect(decideRecovery({ ...base, header: "valid", stop: "bad" }).label).to.equal("@B");
    expect(decideRecovery({ ...base, header: "torn", stop: "clean" }).label).to.equal("@E");
    expect(decideRecovery({ ...base, header: "invalid", stop: "clean", restNonZero: false }).label).to.equal("@G");
    expect(decideRecovery({ ...base, header: "invalid", stop: "clean" }).label).to.equal("@H");
  });
});

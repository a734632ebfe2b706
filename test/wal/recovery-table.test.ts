// Every combination of segment facts matches exactly one row of the recovery table.
import { expect } from "chai";
import { type SegmentFacts, decideRecovery, recoveryRows } from "../../host/wal/index.js";

describe("wal: recovery table", () => {
  it("every fact combination matches exactly one labelled row", () => {
    const seen = new Set<string>();
    for (const header of ["valid", "empty", "torn", "invalid"] as const) {
      for (const stop of ["clean", "bad"] as const) {
        for (const provenDurable of [false, true]) {
          for (const restNonZero of [false, true]) {
            for (const last of [false, true]) {
              const facts: SegmentFacts = { header, stop, provenDurable, restNonZero, last };
              const matching = recoveryRows.filter((row) => row.matches(facts));
              expect(matching.length, JSON.stringify(facts)).to.equal(1);
              seen.add(decideRecovery(facts).label);
            }
          }
        }
      }
    }
    expect([...seen].sort()).to.deep.equal(recoveryRows.map((row) => row.label).sort());
  });

  it("damage outside the last segment is never cut silently", () => {
    for (const row of recoveryRows) {
      if (row.action === "cut-torn-tail" || row.action === "remove-torn-segment") {
        expect(row.matches({ header: "valid", stop: "bad", provenDurable: false, restNonZero: true, last: false })).to.equal(false);
      }
    }
    expect(decideRecovery({ header: "valid", stop: "bad", provenDurable: true, restNonZero: true, last: true }).action).to.equal("corrupt");
  });
});

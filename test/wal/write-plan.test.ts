import { expect } from "chai";
import { planWrites } from "../../host/wal/write-plan.js";

describe("wal: write plan", () => {
  it("splits a stream range at segment starts with file offsets", () => {
    const segments = [{ streamOffset: 0n, segmentId: 1n }, { streamOffset: 100n, segmentId: 2n }, { streamOffset: 150n, segmentId: 3n }];
    expect(planWrites(40n, 170n, segments)).to.deep.equal([
      { segmentId: 1n, streamFrom: 40n, streamTo: 100n, fileOffset: 40 },
      { segmentId: 2n, streamFrom: 100n, streamTo: 150n, fileOffset: 0 },
      { segmentId: 3n, streamFrom: 150n, streamTo: 170n, fileOffset: 0 },
    ]);
    expect(planWrites(120n, 130n, segments)).to.deep.equal([{ segmentId: 2n, streamFrom: 120n, streamTo: 130n, fileOffset: 20 }]);
    expect(planWrites(5n, 5n, segments)).to.deep.equal([]);
  });
});

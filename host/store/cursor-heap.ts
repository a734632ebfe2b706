// A binary min-heap of cursors over sorted sources of versions, ordered by the cursor's current
// record in (key, revision) order, ties broken by the cursor's `order` (its source's index). The
// k-way merges of the store (the live tail's runs, the version merge's sources) hold one cursor
// per source in it, so a merge step costs O(log k) and memory stays at k cursors.
import { assert } from "../assert.js";
import { compareVersions, type VersionRecord } from "./version-record.js";

export interface HeapCursor {
  /** The source's current record; the heap's owner updates it, then calls `siftDownTop`. */
  record: VersionRecord;
  /** Breaks ties between equal (key, revision) records: each cursor has its own. */
  readonly order: number;
}

export class CursorHeap<C extends HeapCursor> {
  private readonly items: C[] = [];

  get size(): number {
    return this.items.length;
  }

  /** The cursor with the smallest record, or undefined when the heap is empty. */
  peek(): C | undefined {
    return this.items[0];
  }

  push(cursor: C): void {
    const items = this.items;
    items.push(cursor);
    let at = items.length - 1;
    while (at > 0) {
      const parentAt = (at - 1) >> 1;
      const parent = items[parentAt] as C;
      if (!cursorLess(cursor, parent)) break;
      items[at] = parent;
      at = parentAt;
    }
    items[at] = cursor;
  }

  /** Removes and returns the smallest cursor. */
  pop(): C {
    const items = this.items;
    assert(items.length > 0, "pop from an empty cursor heap");
    const top = items[0] as C;
    const last = items.pop() as C;
    if (items.length > 0) {
      items[0] = last;
      this.siftDownTop();
    }
    return top;
  }

  /** Restores the order after the top cursor's record moved forward. */
  siftDownTop(): void {
    const items = this.items;
    const count = items.length;
    if (count === 0) return;
    const moving = items[0] as C;
    let at = 0;
    for (;;) {
      const leftAt = 2 * at + 1;
      if (leftAt >= count) break;
      const rightAt = leftAt + 1;
      let childAt = leftAt;
      if (rightAt < count && cursorLess(items[rightAt] as C, items[leftAt] as C)) childAt = rightAt;
      const child = items[childAt] as C;
      if (!cursorLess(child, moving)) break;
      items[at] = child;
      at = childAt;
    }
    items[at] = moving;
  }
}

function cursorLess(a: HeapCursor, b: HeapCursor): boolean {
  const order = compareVersions(a.record, b.record);
  return order !== 0 ? order < 0 : a.order < b.order;
}

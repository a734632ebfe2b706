// Regions of the core's shared memory, assigned by the host (the core never allocates).
//
// Layout of the shared memory:
//
//   0 ............ heapBase ............................................... memory end
//   | core static  | region | region | ... (bump)            | grown on demand, up to |
//   | data: CRC    |        |        |                       | the declared maximum   |
//   | tables, ...  |        |        |                       |                        |
//
// Sizes are rounded up to a power of two (at least 64 bytes, so every region is 64-byte aligned
// and SIMD loads never straddle a cache line at a region's start). Released regions go to a free
// list per size class and are handed out again; nothing is ever returned to the OS, which is
// what a WebAssembly memory allows anyway.
import { assert } from "../assert.js";
import { OutOfMemoryError } from "../errors.js";
import { type Ptr, asPtr } from "./pointer.js";

export const WASM_PAGE_SIZE = 65536;
const REGION_ALIGN = 64;
const SIZE_CLASS_MIN_LOG2 = 6; // 64 bytes
const SIZE_CLASS_MAX_LOG2 = 30; // 1 GiB, the memory's maximum

export interface Region {
  readonly ptr: Ptr;
  readonly sizeBytes: number;
}

export class RegionAllocator {
  private top: number;
  private readonly freeBySizeClass: Ptr[][] = [];
  private readonly live = new Map<number, number>();

  /**
   * `end` bounds an arena: a second thread's allocator works inside a region the first one gave it
   * and never grows the memory (two bump pointers over one range would hand out the same bytes).
   */
  constructor(
    private readonly memory: WebAssembly.Memory,
    heapBase: number,
    private readonly pagesMax: number,
    private readonly end: number = Number.POSITIVE_INFINITY,
  ) {
    assert(heapBase % REGION_ALIGN === 0, "heap base must be 64-byte aligned");
    this.top = heapBase;
    for (let c = 0; c <= SIZE_CLASS_MAX_LOG2; c++) this.freeBySizeClass.push([]);
  }

  allocate(sizeBytes: number): Region {
    assert(Number.isSafeInteger(sizeBytes) && sizeBytes > 0, "region size must be a positive integer");
    const sizeClass = Math.max(SIZE_CLASS_MIN_LOG2, Math.ceil(Math.log2(sizeBytes)));
    if (sizeClass > SIZE_CLASS_MAX_LOG2) throw new OutOfMemoryError(`region of ${sizeBytes} bytes exceeds the core's memory`);
    const classSize = 2 ** sizeClass;
    const reused = this.freeBySizeClass[sizeClass]?.pop();
    const ptr = reused ?? this.bump(classSize);
    this.live.set(ptr, sizeClass);
    return { ptr, sizeBytes: classSize };
  }

  release(region: Region): void {
    const sizeClass = this.live.get(region.ptr);
    assert(sizeClass !== undefined, "released a region that is not live");
    this.live.delete(region.ptr);
    this.freeBySizeClass[sizeClass]?.push(region.ptr);
  }

  private bump(classSize: number): Ptr {
    const ptr = this.top;
    const end = ptr + classSize;
    if (end > this.end) throw new OutOfMemoryError(`arena of this thread is full: ${end - this.end} bytes short`);
    const pagesNeeded = Math.ceil(end / WASM_PAGE_SIZE);
    const pagesNow = this.memory.buffer.byteLength / WASM_PAGE_SIZE;
    if (pagesNeeded > pagesNow) {
      if (pagesNeeded > this.pagesMax) {
        throw new OutOfMemoryError(`core memory is limited to ${this.pagesMax * WASM_PAGE_SIZE} bytes; ${end} needed`);
      }
      this.memory.grow(pagesNeeded - pagesNow);
    }
    this.top = end;
    return asPtr(ptr);
  }
}

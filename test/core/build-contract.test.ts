// The build contract of the core (issue: --runtime stub, imported shared memory with a maximum,
// SIMD): what the module imports, and that it refuses memories it was not built for.
import { expect } from "chai";
import { coreModule } from "../../host/core/index.js";

describe("core: build contract", () => {
  it("imports only env.memory and env.abort, and exports no allocator", () => {
    const module = coreModule() as unknown as object;
    const wasm = WebAssembly as unknown as {
      Module: { imports(m: object): Array<{ module: string; name: string; kind: string }>; exports(m: object): Array<{ name: string }> };
    };
    const imports = wasm.Module.imports(module).map((i) => `${i.module}.${i.name}:${i.kind}`).sort();
    expect(imports).to.deep.equal(["env.abort:function", "env.memory:memory"]);
    const exportNames = wasm.Module.exports(module).map((e) => e.name);
    for (const allocator of ["__new", "__alloc", "__pin", "__collect"]) expect(exportNames).to.not.include(allocator);
  });

  it("refuses a memory that is not shared (a shared memory needs a maximum)", () => {
    const instantiate = (descriptor: WebAssembly.MemoryDescriptor) => () =>
      new WebAssembly.Instance(coreModule(), { env: { memory: new WebAssembly.Memory(descriptor), abort: () => undefined } });
    expect(instantiate({ initial: 64, maximum: 16384 })).to.throw(/memory/i);
    expect(instantiate({ initial: 64, maximum: 16384, shared: true })).to.not.throw();
  });
});

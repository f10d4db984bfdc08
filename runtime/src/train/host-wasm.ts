// The host step's arithmetic (host-step.ts) as WebAssembly SIMD (f32x4), emitted as bytes here: no toolchain and
// no package. Plain JavaScript loops were 3–10× slower (docs/performance.md "## Training"). Every matrix is
// row-major float32 with its row length padded to a multiple of 4 (the padding holds zeros), so each inner loop
// is whole vectors. Pointers and lengths are in bytes. Kernels:
//   forward(x, w, b, out, n, inputs, units, relu)  out[n×units] = x[n×inputs]·w[inputs×units] + b, then max(·,0) if relu
//   gradients(x, dz, gw, gb, n, inputs, units)      gw = xᵀ·dz, gb = Σ rows of dz
//   backward(dz, w, dx, n, inputs, units)           dx[n×inputs] = dz·wᵀ
//   reluGrad(g, out, bytes)                         g ← out > 0 ? g : 0
//   adam(p, g, m, v, bytes, β1, 1−β1, β2, 1−β2, a, b)  m, v updated; p −= m / (√v · a + b)

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

// Instructions.
type Code = number[];
const get = (l: number): Code => [0x20, ...uleb(l)];
const set = (l: number): Code => [0x21, ...uleb(l)];
const i32 = (v: number): Code => [0x41, ...sleb(v)];
const add = [0x6a];
const mul = [0x6c];
const simd = (op: number): Code => [0xfd, ...uleb(op)];
const vload = (ptr: Code, offset = 0): Code => [...ptr, ...simd(0x00), 4, ...uleb(offset)];
const vstore = (ptr: Code, value: Code, offset = 0): Code => [...ptr, ...value, ...simd(0x0b), 4, ...uleb(offset)];
const tee = (l: number): Code => [0x22, ...uleb(l)];
const fload = (ptr: Code): Code => [...ptr, 0x2a, 2, 0];
const fsplat = (v: Code): Code => [...v, ...simd(0x13)];
const lane = (l: number): Code => [...simd(0x1f), l];
const fadd = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe4)];
const fsub = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe5)];
const fmul = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe6)];
const fdiv = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe7)];
const fmax = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe9)];
const fsqrt = (a: Code): Code => [...a, ...simd(0xe3)];
const fgt = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x44)];
const vand = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x4e)];
const zero4: Code = [...simd(0x0c), ...new Array(16).fill(0)];
const plus = (a: Code, b: Code): Code => [...a, ...b, ...add];
const times = (a: Code, b: Code): Code => [...a, ...b, ...mul];
const minus = (a: Code, b: Code): Code => [...a, ...b, 0x6b];
/** while (p < end) { body; p += step }, with p and end locals. */
function whileLt(p: number, end: number, step: Code, body: Code): Code {
  return [
    0x02,
    0x40, // block
    0x03,
    0x40, // loop
    ...get(p),
    ...get(end),
    0x4f, // i32.ge_u
    0x0d,
    1, // br_if 1: leave the block
    ...body,
    ...get(p),
    ...step,
    ...add,
    ...set(p),
    0x0c,
    0, // br 0: next iteration
    0x0b,
    0x0b, // end loop, end block
  ];
}
/**
 * Loads x (into a local, by tee) and runs the body for every element, zeros included: skipping ReLU's zeros behind a
 * branch mispredicted about half the time and made a digits epoch at batch 256 30 % slower.
 */
const withX = (load: Code, body: Code): Code => [...load, 0x1a, ...body]; // 0x1a: drop the tee'd copy
const ifI32 = (v: Code, body: Code): Code => [...v, 0x04, 0x40, ...body, 0x0b];

interface Fn {
  params: number[];
  locals: number[];
  body: Code;
}

// Each kernel keeps a block of 16 output columns in four f32x4 accumulators (registers) over its whole inner loop,
// so the inner loop loads only its inputs: units are padded to a multiple of 16 (host-step.ts).
const acc4 = (first: number, value: (k: number) => Code): Code =>
  [0, 1, 2, 3].flatMap((k) => set2(first + k, value(k)));

// forward(x0, w1, b2, out3, n4, inputs5, units6, relu7);
// locals: row8, oEnd9, cb10, xp11, xEnd12, wp13, xi14(f32), s15, a16–19 (v128)
const forward: Fn = (() => {
  const [x, w, b, out, n, inputs, units, relu, row, oEnd, cb, xp, xEnd, wp, xi, s, a] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
  ] as const;
  return {
    params: [I32, I32, I32, I32, I32, I32, I32, I32],
    locals: [I32, I32, I32, I32, I32, I32, F32, V128, V128, V128, V128, V128],
    body: [
      ...set2(row, times(get(units), i32(4))),
      ...set2(oEnd, plus(get(out), times(get(n), get(row)))),
      ...whileLt(out, oEnd, get(row), [
        ...set2(xEnd, plus(get(x), times(get(inputs), i32(4)))),
        ...set2(cb, i32(0)),
        ...whileLt(cb, row, i32(64), [
          ...acc4(a, (k) => vload(plus(get(b), get(cb)), 16 * k)),
          ...set2(wp, plus(get(w), get(cb))),
          ...set2(xp, get(x)),
          ...whileLt(xp, xEnd, i32(4), [
            ...withX(
              [...fload(get(xp)), ...tee(xi)],
              [...set2(s, fsplat(get(xi))), ...acc4(a, (k) => fadd(get(a + k), fmul(get(s), vload(get(wp), 16 * k))))],
            ),
            ...set2(wp, plus(get(wp), get(row))),
          ]),
          ...ifI32(
            get(relu),
            acc4(a, (k) => fmax(get(a + k), zero4)),
          ),
          ...[0, 1, 2, 3].flatMap((k) => vstore(plus(get(out), get(cb)), get(a + k), 16 * k)),
        ]),
        ...set2(x, get(xEnd)),
      ]),
    ],
  };
})();

// gradients(x0, dz1, gw2, gb3, n4, inputs5, units6): rows in chunks of GRAD_ROWS, so a chunk of dz and x stays in
// L1 while every block of gw takes its share (at batch 256 one pass per block over all of dz streamed from L2).
// locals: row7, xs8, cb9, xp10, end11, dp12, gp13, xc14, xi15(f32), s16, a17–20 (v128), r0 21, rEnd22, nEnd23
const GRAD_ROWS = 16;
const gradients: Fn = (() => {
  const [x, dz, gw, gb, n, inputs, units, row, xs, cb, xp, end, dp, gp, xc, xi, s, a, r0, rEnd, nEnd] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 21, 22, 23,
  ] as const;
  return {
    params: [I32, I32, I32, I32, I32, I32, I32],
    locals: [I32, I32, I32, I32, I32, I32, I32, I32, F32, V128, V128, V128, V128, V128, I32, I32, I32],
    body: [
      ...set2(row, times(get(units), i32(4))),
      ...set2(xs, times(get(inputs), i32(4))),
      // gb: column sums of dz
      ...set2(cb, i32(0)),
      ...whileLt(cb, row, i32(64), [
        ...acc4(a, () => zero4),
        ...set2(dp, plus(get(dz), get(cb))),
        ...set2(end, plus(get(dp), times(get(n), get(row)))),
        ...whileLt(
          dp,
          end,
          get(row),
          acc4(a, (k) => fadd(get(a + k), vload(get(dp), 16 * k))),
        ),
        ...[0, 1, 2, 3].flatMap((k) => vstore(plus(get(gb), get(cb)), get(a + k), 16 * k)),
      ]),
      // gw = 0, then gw[i, block] += Σ_{r in chunk} x[r, i] · dz[r, block], chunk by chunk
      ...set2(end, times(get(inputs), get(row))),
      ...set2(cb, i32(0)),
      ...whileLt(cb, end, i32(16), vstore(plus(get(gw), get(cb)), zero4)),
      ...set2(r0, i32(0)),
      ...whileLt(r0, n, i32(GRAD_ROWS), [
        // rEnd = min(r0 + GRAD_ROWS, n), as a pointer bound into x's column: xc + rEnd·xs
        ...set2(rEnd, [
          ...plus(get(r0), i32(GRAD_ROWS)),
          ...get(n),
          ...plus(get(r0), i32(GRAD_ROWS)),
          ...get(n),
          0x49,
          0x1b,
        ]),
        ...set2(gp, get(gw)),
        ...set2(xc, plus(get(x), times(get(r0), get(xs)))),
        ...set2(end, plus(get(xc), get(xs))),
        ...whileLt(xc, end, i32(4), [
          ...set2(nEnd, plus(get(xc), times(minus(get(rEnd), get(r0)), get(xs)))),
          ...set2(cb, i32(0)),
          ...whileLt(cb, row, i32(64), [
            ...acc4(a, (k) => vload(plus(get(gp), get(cb)), 16 * k)),
            ...set2(dp, plus(plus(get(dz), times(get(r0), get(row))), get(cb))),
            ...set2(xp, get(xc)),
            ...whileLt(xp, nEnd, get(xs), [
              ...withX(
                [...fload(get(xp)), ...tee(xi)],
                [
                  ...set2(s, fsplat(get(xi))),
                  ...acc4(a, (k) => fadd(get(a + k), fmul(get(s), vload(get(dp), 16 * k)))),
                ],
              ),
              ...set2(dp, plus(get(dp), get(row))),
            ]),
            ...[0, 1, 2, 3].flatMap((k) => vstore(plus(get(gp), get(cb)), get(a + k), 16 * k)),
          ]),
          ...set2(gp, plus(get(gp), get(row))),
        ]),
      ]),
    ],
  };
})();

// backward(dz0, w1, dx2, n3, inputs4, units5): four inputs at a time share each load of dz.
// locals: row6, dEnd7, j8, xEnd9, wp10, d11, a12–15 (v128)
const backward: Fn = (() => {
  const [dz, w, dx, n, inputs, units, row, dEnd, j, xEnd, wp, d, a] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
  ] as const;
  const hsum = (v: number): Code => [
    ...get(v),
    ...lane(0),
    ...get(v),
    ...lane(1),
    0x92,
    ...get(v),
    ...lane(2),
    ...get(v),
    ...lane(3),
    0x92,
    0x92,
  ];
  return {
    params: [I32, I32, I32, I32, I32, I32],
    locals: [I32, I32, I32, I32, I32, V128, V128, V128, V128, V128],
    body: [
      ...set2(row, times(get(units), i32(4))),
      ...set2(dEnd, plus(get(dz), times(get(n), get(row)))),
      ...whileLt(dz, dEnd, get(row), [
        ...set2(xEnd, plus(get(dx), times(get(inputs), i32(4)))),
        ...set2(wp, get(w)),
        ...whileLt(dx, xEnd, i32(16), [
          ...acc4(a, () => zero4),
          ...set2(j, i32(0)),
          ...whileLt(j, row, i32(16), [
            ...set2(d, vload(plus(get(dz), get(j)))),
            ...acc4(a, (k) =>
              fadd(get(a + k), fmul(get(d), vload(plus(plus(get(wp), get(j)), times(get(row), i32(k)))))),
            ),
          ]),
          ...[0, 1, 2, 3].flatMap((k) => [...get(dx), ...hsum(a + k), 0x38, 2, 4 * k]),
          ...set2(wp, plus(get(wp), times(get(row), i32(4)))),
        ]),
      ]),
    ],
  };
})();

// reluGrad(g0, out1, bytes2); locals: j3, end4
const reluGrad: Fn = (() => {
  const [g, out, bytes, j] = [0, 1, 2, 3] as const;
  return {
    params: [I32, I32, I32],
    locals: [I32],
    body: [
      ...set2(j, i32(0)),
      ...whileLt(
        j,
        bytes,
        i32(16),
        vstore(plus(get(g), get(j)), vand(vload(plus(get(g), get(j))), fgt(vload(plus(get(out), get(j))), zero4))),
      ),
    ],
  };
})();

// adam(p0, g1, m2, v3, bytes4, b1 5, c1 6, b2 7, c2 8, a9, b10 (f32)); locals: j11, vb1..vb 12–17, gj18, mj19, vj20 (v128)
const adam: Fn = (() => {
  const [p, g, m, v, bytes, b1, c1, b2, c2, a, bb, j] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] as const;
  const [V1, C1, V2, C2, A, B, gj, mj, vj] = [12, 13, 14, 15, 16, 17, 18, 19, 20] as const;
  const at = (base: number) => plus(get(base), get(j));
  return {
    params: [I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32],
    locals: [I32, V128, V128, V128, V128, V128, V128, V128, V128, V128],
    body: [
      ...set2(V1, fsplat(get(b1))),
      ...set2(C1, fsplat(get(c1))),
      ...set2(V2, fsplat(get(b2))),
      ...set2(C2, fsplat(get(c2))),
      ...set2(A, fsplat(get(a))),
      ...set2(B, fsplat(get(bb))),
      ...set2(j, i32(0)),
      ...whileLt(j, bytes, i32(16), [
        ...set2(gj, vload(at(g))),
        ...set2(mj, fadd(fmul(get(V1), vload(at(m))), fmul(get(C1), get(gj)))),
        ...set2(vj, fadd(fmul(get(V2), vload(at(v))), fmul(get(C2), fmul(get(gj), get(gj))))),
        ...vstore(at(m), get(mj)),
        ...vstore(at(v), get(vj)),
        ...vstore(at(p), fsub(vload(at(p)), fdiv(get(mj), fadd(fmul(fsqrt(get(vj)), get(A)), get(B))))),
      ]),
    ],
  };
})();

function set2(l: number, value: Code): Code {
  return [...value, ...set(l)];
}

const FUNCTIONS: [string, Fn][] = [
  ["forward", forward],
  ["gradients", gradients],
  ["backward", backward],
  ["reluGrad", reluGrad],
  ["adam", adam],
];

/** The module's bytes: memory imported as env.memory, the five kernels exported. */
function hostWasmBytes(): Uint8Array {
  const types = FUNCTIONS.map(([, f]) => [0x60, ...vec(f.params.map((t) => [t])), 0]);
  const imports = vec([[...name("env"), ...name("memory"), 0x02, 0x00, 1]]); // memory, no maximum, ≥ 1 page
  const funcs = vec(FUNCTIONS.map((_, i) => uleb(i)));
  const exports = vec(FUNCTIONS.map(([n], i) => [...name(n), 0x00, ...uleb(i)]));
  const code = vec(
    FUNCTIONS.map(([, f]) => {
      const locals = vec(f.locals.map((t) => [1, t]));
      const body = [...locals, ...f.body, 0x0b];
      return [...uleb(body.length), ...body];
    }),
  );
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(types)),
    ...section(2, imports),
    ...section(3, funcs),
    ...section(7, exports),
    ...section(10, code),
  ]);
}

function name(s: string): number[] {
  const b = [...Buffer.from(s, "utf8")];
  return [...uleb(b.length), ...b];
}

/** The slice of the WebAssembly API used here (the project's lib settings leave the global untyped). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (d: { initial: number }) => WasmMemory;
  Instance: new (m: object, imports: object) => { exports: Record<string, unknown> };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export interface HostWasm {
  memory: WasmMemory;
  forward(x: number, w: number, b: number, out: number, n: number, inputs: number, units: number, relu: number): void;
  gradients(x: number, dz: number, gw: number, gb: number, n: number, inputs: number, units: number): void;
  backward(dz: number, w: number, dx: number, n: number, inputs: number, units: number): void;
  reluGrad(g: number, out: number, bytes: number): void;
  adam(p: number, g: number, m: number, v: number, bytes: number, ...hp: number[]): void;
}

let compiled: object | undefined;

/** A fresh instance with its own memory of `pages` × 64 KiB (grown by the caller). */
export function hostWasm(pages: number): HostWasm {
  compiled ??= new WA.Module(hostWasmBytes());
  const memory = new WA.Memory({ initial: pages });
  const instance = new WA.Instance(compiled, { env: { memory } });
  return { memory, ...(instance.exports as unknown as Omit<HostWasm, "memory">) };
}

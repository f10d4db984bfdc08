// Adam with one update over all variables at once. tf.train.adam runs about a dozen kernels per variable per
// step; each kernel costs the TF.js engine 10–20 µs whatever its size, which at small batches is most of a step
// (tfjs issue #628). This keeps the two moments as one flat vector each, so a step is ~25 kernels however many
// variables the model has. Same algorithm and constants as tf.train.adam (bias-corrected moments, ε added to
// √v̂); the beta powers are computed from the iteration count in float64 instead of kept as float32 products.
// getWeights/setWeights use tf.train.adam's layout (iterations, then m and v per variable, by position), so
// checkpoints keep their format.
import * as tf from "@tensorflow/tfjs";

type NamedTensor = { name: string; tensor: tf.Tensor };

interface Moments {
  m: tf.Variable;
  v: tf.Variable;
  /** Element count and shape of each variable, in the flat vectors' order. */
  sizes: number[];
  shapes: number[][];
}

export class FusedAdam extends tf.AdamOptimizer {
  // Held in one object, not as Variable fields: checkpoint.ts saves an optimizer's own Variable fields as JSON.
  private moments: Moments | undefined;
  private names: string[] | undefined;
  private consts: { b1: tf.Scalar; c1: tf.Scalar; b2: tf.Scalar; c2: tf.Scalar } | undefined;
  private readonly hp: { lr: number; beta1: number; beta2: number; epsilon: number };

  constructor(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon?: number) {
    super(learningRate, beta1, beta2, epsilon);
    this.hp = { lr: learningRate, beta1, beta2, epsilon: this.epsilon };
  }

  private constants() {
    if (!this.consts) {
      const { beta1, beta2 } = this.hp;
      this.consts = tf.tidy(() => ({
        b1: tf.keep(tf.scalar(beta1)),
        c1: tf.keep(tf.scalar(1 - beta1)),
        b2: tf.keep(tf.scalar(beta2)),
        c2: tf.keep(tf.scalar(1 - beta2)),
      }));
    }
    return this.consts;
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const list = Array.isArray(variableGradients)
      ? variableGradients
      : Object.keys(variableGradients).map((name) => ({ name, tensor: variableGradients[name] as tf.Tensor }));
    if (this.names === undefined) this.names = list.map((g) => g.name);
    const names = this.names;
    if (list.length !== names.length || list.some((g, i) => g.name !== names[i])) {
      throw new Error("FusedAdam: every step must update the same variables in the same order");
    }
    const vars = names.map((n) => tf.engine().registeredVariables[n] as tf.Variable);
    if (this.moments === undefined) {
      const sizes = vars.map((v) => v.size);
      const total = sizes.reduce((a, b) => a + b, 0);
      this.moments = {
        m: tf.zeros([total]).variable(false),
        v: tf.zeros([total]).variable(false),
        sizes,
        shapes: vars.map((v) => v.shape),
      };
    }
    const { m, v, sizes } = this.moments;
    if (sizes.length !== vars.length || vars.some((x, i) => x.size !== sizes[i])) {
      throw new Error("FusedAdam: the restored moments do not fit the model's variables");
    }
    const c = this.constants();
    const t = this.iterations + 1;
    const { lr, beta1, beta2 } = this.hp;
    tf.tidy(() => {
      const g = tf.concat(list.map((x) => (x.tensor.rank === 1 ? x.tensor : tf.reshape(x.tensor, [-1]))));
      const m1 = tf.add(tf.mul(m, c.b1), tf.mul(g, c.c1));
      const v1 = tf.add(tf.mul(v, c.b2), tf.mul(tf.square(g), c.c2));
      m.assign(m1);
      v.assign(v1);
      // lr · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε) = m / (√v · a + b), with the bias corrections and the
      // learning rate folded into a = 1 / (lr · √(1 − β₂ᵗ) / (1 − β₁ᵗ)) and b = ε (1 − β₁ᵗ) / lr.
      const lrT = lr / (1 - beta1 ** t);
      const a = 1 / (lrT * Math.sqrt(1 - beta2 ** t));
      const step = tf.div(m1, tf.add(tf.mul(tf.sqrt(v1), tf.scalar(a)), tf.scalar(this.hp.epsilon / lrT)));
      const parts = vars.length === 1 ? [step] : tf.split(step, sizes);
      vars.forEach((x, i) => {
        const d = parts[i] as tf.Tensor;
        x.assign(tf.sub(x, x.rank === 1 ? d : tf.reshape(d, x.shape)));
      });
    });
    this.incrementIterations();
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const iterations = await this.saveIterations();
    const { moments, names } = this;
    if (moments === undefined) return [iterations];
    const unflat = (flat: tf.Tensor, suffix: string) =>
      tf.split(flat, moments.sizes).map((p, i) => ({
        name: `${names?.[i] ?? `var${i}`}/${suffix}`,
        tensor: tf.reshape(p, moments.shapes[i] as number[]),
      }));
    return [iterations, ...unflat(moments.m, "m"), ...unflat(moments.v, "v")];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    this.disposeMoments();
    if (rest.length === 0) return;
    const half = rest.length / 2;
    const ms = rest.slice(0, half).map((w) => w.tensor);
    const vs = rest.slice(half).map((w) => w.tensor);
    // Which variable each belongs to is positional (names carry a per-process counter); the next step binds them.
    this.moments = tf.tidy(() => ({
      m: tf.concat(ms.map((x) => tf.reshape(x, [-1]))).variable(false),
      v: tf.concat(vs.map((x) => tf.reshape(x, [-1]))).variable(false),
      sizes: ms.map((x) => x.size),
      shapes: ms.map((x) => x.shape),
    }));
    this.names = undefined;
  }

  /** Learning rate and betas, for the host step (host-step.ts), which runs this update itself. */
  hyperparameters() {
    return { ...this.hp };
  }

  /**
   * The moments as flat float32 vectors (zeros before the first step) and the iterations so far, for the host
   * step to continue from: exactly what a checkpoint restored or the tensor path left.
   */
  hostState(total: number): { m: Float32Array; v: Float32Array; iterations: number } {
    if (this.moments === undefined) {
      return { m: new Float32Array(total), v: new Float32Array(total), iterations: this.iterations };
    }
    const m = (this.moments.m.dataSync() as Float32Array).slice();
    const v = (this.moments.v.dataSync() as Float32Array).slice();
    if (m.length !== total) throw new Error("FusedAdam: the restored moments do not fit the model's variables");
    return { m, v, iterations: this.iterations };
  }

  /** Takes the host step's moments and iterations, so getWeights (a checkpoint) and the tensor path see them. */
  loadHostState(m: Float32Array, v: Float32Array, iterations: number, vars: tf.Variable[]): void {
    const mt = tf.tensor1d(m.slice());
    const vt = tf.tensor1d(v.slice());
    if (this.moments === undefined || this.moments.m.size !== m.length) {
      this.disposeMoments();
      this.moments = {
        m: mt.variable(false),
        v: vt.variable(false),
        sizes: vars.map((x) => x.size),
        shapes: vars.map((x) => x.shape),
      };
      tf.dispose([mt, vt]);
    } else {
      this.moments.m.assign(mt);
      this.moments.v.assign(vt);
      tf.dispose([mt, vt]);
    }
    this.names = vars.map((x) => x.name);
    this.iterations_ = iterations;
  }

  private disposeMoments(): void {
    this.moments?.m.dispose();
    this.moments?.v.dispose();
    this.moments = undefined;
  }

  override dispose(): void {
    super.dispose();
    this.disposeMoments();
    if (this.consts) tf.dispose(Object.values(this.consts));
    this.consts = undefined;
  }
}

// Two libtensorflow ops that TF.js does not expose, for the hand-written step on the `tensorflow` backend: each
// replaces several TF.js kernels (ReluGrad: sign + mul; SoftmaxCrossEntropyWithLogits: softmax, log, clamp, sums
// and the gradient's subtraction) and is how TensorFlow itself differentiates these layers. Other backends get
// undefined and the step composes the same results from TF.js ops.
import * as tf from "@tensorflow/tfjs";

interface NodeBackend {
  binding: { TF_ATTR_TYPE: number; TF_FLOAT: number };
  executeSingleOutput(name: string, attrs: unknown[], inputs: tf.Tensor[]): tf.Tensor;
  executeMultipleOutputs(name: string, attrs: unknown[], inputs: tf.Tensor[], outputs: number): tf.Tensor[];
}

export interface NativeOps {
  /** d/dz of relu(z), from the gradient and relu's output. */
  reluGrad(g: tf.Tensor2D, out: tf.Tensor2D): tf.Tensor2D;
  /** Per-row crossentropy of softmax(logits) against one-hot labels, and its gradient softmax − labels. */
  softmaxCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor2D): { loss: tf.Tensor1D; grad: tf.Tensor2D };
}

export function nativeOps(): NativeOps | undefined {
  if (tf.getBackend() !== "tensorflow") return undefined;
  const be = tf.backend() as unknown as Partial<NodeBackend>;
  if (typeof be.executeSingleOutput !== "function" || typeof be.executeMultipleOutputs !== "function" || !be.binding) {
    return undefined;
  }
  const node = be as NodeBackend;
  const float = [{ name: "T", type: node.binding.TF_ATTR_TYPE, value: node.binding.TF_FLOAT }];
  return {
    reluGrad: (g, out) => node.executeSingleOutput("ReluGrad", float, [g, out]) as tf.Tensor2D,
    softmaxCrossEntropy: (logits, labels) => {
      const [loss, grad] = node.executeMultipleOutputs("SoftmaxCrossEntropyWithLogits", float, [logits, labels], 2);
      return { loss: loss as tf.Tensor1D, grad: grad as tf.Tensor2D };
    },
  };
}

import { describe, expect, it } from "vitest";
import { spaceProblems } from "./problems.js";
import type { ParameterSpec } from "./types.js";

const GOOD: ParameterSpec[] = [
  { name: "learningRate", path: "hyperparameters.learningRate", float: { min: 1e-4, max: 1e-1, log: true } },
  { name: "batchSize", path: "hyperparameters.batchSize", int: { values: [16, 32, 64] } },
  { name: "optimizer", path: "hyperparameters.optimizer", categorical: { values: ["adam", "sgd"] } },
  { name: "units", path: "model.layers[0].units", int: { min: 16, max: 256, log: true } },
  { name: "dropout", path: "model.layers[1].rate", float: { min: 0, max: 0.5, step: 0.1 } },
  { name: "activation", path: "model.layers[0].activation", categorical: { values: ["relu", "tanh"] } },
];

/** GOOD with parameter i replaced. */
function with_(i: number, spec: Partial<ParameterSpec> & Record<string, unknown>): ParameterSpec[] {
  return GOOD.map((p, j) => (j === i ? ({ name: p.name, path: p.path, ...spec } as ParameterSpec) : p));
}

describe("spaceProblems", () => {
  it("finds nothing wrong with a consistent space", () => {
    expect(spaceProblems(GOOD, 3)).toEqual([]);
  });

  it.each([
    ["no parameters", [], "spec.parameters: give at least one parameter"],
    [
      "a layer past the template",
      GOOD,
      "spec.parameters[4].path: layer 1 is past the template's last layer (it has 1, counted from 0)",
      1,
    ],
    [
      "a name twice",
      [...GOOD, { ...GOOD[1], path: "hyperparameters.epochs" } as ParameterSpec],
      "spec.parameters[6].name: batchSize is the name of parameters[1] already",
    ],
    [
      "a path twice",
      [...GOOD, { ...GOOD[1], name: "batch" } as ParameterSpec],
      "spec.parameters[6].path: parameters[1] sets hyperparameters.batchSize already",
    ],
    [
      "an unknown path",
      with_(0, { path: "hyperparameters.momentum", float: { min: 0, max: 1 } }),
      "spec.parameters[0].path: hyperparameters.momentum is not a path a parameter can set",
    ],
    [
      "a kind the path does not take",
      with_(1, { int: undefined, float: { min: 8, max: 64 } }),
      "spec.parameters[1]: hyperparameters.batchSize takes an int parameter, not float",
    ],
    [
      "min above max",
      with_(4, { float: { min: 0.5, max: 0.1 } }),
      "spec.parameters[4].float.min: 0.5 is above max 0.1",
    ],
    [
      "a range without max",
      with_(4, { float: { min: 0.1 } }),
      "spec.parameters[4].float: a range needs min and max (or give values)",
    ],
    [
      "a log range from 0",
      with_(0, { float: { min: 0, max: 1, log: true } }),
      "spec.parameters[0].float.min: a log range needs min above 0, not 0",
    ],
    [
      "log with a step",
      with_(0, { float: { min: 0.001, max: 0.1, log: true, step: 0.01 } }),
      "spec.parameters[0].float: log and step cannot go together",
    ],
    [
      "a step of 0",
      with_(4, { float: { min: 0, max: 0.5, step: 0 } }),
      "spec.parameters[4].float.step: must be above 0, not 0",
    ],
    [
      "values and a range",
      with_(1, { int: { values: [16], min: 8 } }),
      "spec.parameters[1].int: give either values or a range (min, max, step, log), not both",
    ],
    ["no values", with_(1, { int: { values: [] } }), "spec.parameters[1].int.values: give at least one value"],
    ["a value twice", with_(1, { int: { values: [16, 32, 16] } }), "spec.parameters[1].int.values: 16 is listed twice"],
    [
      "a fraction for an int",
      with_(3, { int: { min: 16.5, max: 256 } }),
      "spec.parameters[3].int: an int parameter takes whole numbers only",
    ],
    [
      "a batch size of 0",
      with_(1, { int: { values: [0, 32] } }),
      "spec.parameters[1].int: hyperparameters.batchSize takes values from 1, not 0",
    ],
    [
      "a dropout rate of 1",
      with_(4, { float: { min: 0, max: 1 } }),
      "spec.parameters[4].float: model.layers[1].rate takes values up to 0.99, not 1",
    ],
    [
      "a learning rate of 0",
      with_(0, { float: { values: [0, 0.1] } }),
      "spec.parameters[0].float: hyperparameters.learningRate takes values above 0, not 0",
    ],
    [
      "an unknown optimizer",
      with_(2, { categorical: { values: ["adam", "lion"] } }),
      "spec.parameters[2].categorical.values: lion is not one of sgd, momentum, adam, adamax, adagrad, adadelta, rmsprop",
    ],
    [
      "an unknown activation",
      with_(5, { categorical: { values: ["gelu"] } }),
      "spec.parameters[5].categorical.values: gelu is not one of linear, relu, elu, selu, sigmoid, tanh, softmax, softplus, swish",
    ],
    [
      "no categories",
      with_(2, { categorical: { values: [] } }),
      "spec.parameters[2].categorical.values: give at least one value",
    ],
  ] as [string, ParameterSpec[], string, number?][])("names the field for %s", (_, parameters, message, layers = 3) => {
    expect(spaceProblems(parameters, layers)).toEqual([message]);
  });

  it("accepts an int log range with step 1 (it is every integer, as without a step)", () => {
    expect(spaceProblems(with_(3, { int: { min: 16, max: 256, log: true, step: 1 } }), 3)).toEqual([]);
  });
});

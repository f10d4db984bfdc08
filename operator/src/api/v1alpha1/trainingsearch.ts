// TrainingSearch: a hyperparameter search over a TrainingJob template. Each trial is a TrainingJob the search owns
// (the existing trainer, checkpoints and progress); the search picks the parameters, stops losing trials early and
// names the best trial's model as its own (docs/trainingsearch.md).
import { type Static, Type } from "@sinclair/typebox";
import { ACTIVATIONS, OPTIMIZERS } from "../../contract/training.js";
import { NamedList, Obj, StringEnum, StringMap } from "../schema.js";
import { Conditions, ObservedGeneration } from "./common.js";
import { TrainingJobSpec } from "./trainingjob.js";

const SEARCH_ALGORITHMS = ["random", "grid", "tpe"] as const;
const STOPPING_RULES = ["median", "successiveHalving"] as const;
const SEARCH_GOALS = ["minimize", "maximize"] as const;
const TRIAL_STATES = ["Running", "Succeeded", "StoppedEarly", "Failed"] as const;

/** Where a parameter goes in the template's spec, by the type of value that field takes. */
const LAYER = "model\\.layers\\[[0-9]{1,2}\\]\\.";
const FLOAT_PATHS = `hyperparameters\\.learningRate|${LAYER}rate`;
const INT_PATHS = `hyperparameters\\.(batchSize|epochs)|${LAYER}(units|filters)`;
const CATEGORICAL_PATHS = `hyperparameters\\.optimizer|${LAYER}activation`;
/** A regular expression of the whole path, in a CEL string literal (its backslashes doubled). */
const celPattern = (alternatives: string) => `^(${alternatives})$`.replaceAll("\\", "\\\\");
const list = (values: readonly string[]) => `[${values.map((v) => `'${v}'`).join(", ")}]`;

const numberRange = (integer: boolean) => {
  const N = (description: string) =>
    integer ? Type.Integer({ description, format: "int64" }) : Type.Number({ description });
  return Obj(
    {
      min: Type.Optional(N("Smallest value (inclusive).")),
      max: Type.Optional(N("Largest value (inclusive).")),
      log: Type.Optional(
        Type.Boolean({ description: "Draw uniformly in log space (learning rates, widths); min must be > 0." }),
      ),
      step: Type.Optional(
        N(
          integer
            ? "Spacing of the grid's points from min (grid only; default 1)."
            : "Spacing of the grid's points from min (grid only; a float range needs step or values for grid).",
        ),
      ),
      values: Type.Optional(
        Type.Array(N("A value."), {
          description: "The values to choose from, instead of min and max.",
          minItems: 1,
          maxItems: 64,
        }),
      ),
    },
    {
      description: integer ? "An integer parameter: a range or a list of values." : "A number: a range or a list.",
      rules: [
        {
          rule: "has(self.values) != (has(self.min) && has(self.max))",
          message: "set min and max, or values (not both, not neither)",
        },
        { rule: "!has(self.values) || (!has(self.min) && !has(self.max))", message: "values replace min and max" },
        { rule: "!has(self.min) || !has(self.max) || self.min <= self.max", message: "min must not exceed max" },
        {
          rule: "!has(self.log) || !self.log || (has(self.min) && self.min > 0)",
          message: "log needs a range with min > 0",
        },
        { rule: "!has(self.step) || (has(self.min) && self.step > 0)", message: "step needs a range and must be > 0" },
      ],
    },
  );
};

const Parameter = Obj(
  {
    name: Type.String({
      description: "The parameter's name, as the trial records and kubectl show it (e.g. learningRate).",
      pattern: "^[a-z][a-zA-Z0-9]{0,31}$",
      maxLength: 32,
    }),
    path: Type.String({
      description:
        "Where its value goes in template.spec: hyperparameters.learningRate | batchSize | epochs | optimizer, or model.layers[N].units | rate | filters | activation.",
      maxLength: 64,
      pattern: `^(${FLOAT_PATHS}|${INT_PATHS}|${CATEGORICAL_PATHS})$`,
    }),
    float: Type.Optional(numberRange(false)),
    int: Type.Optional(numberRange(true)),
    categorical: Type.Optional(
      Obj(
        {
          values: Type.Array(Type.String({ description: "A choice.", maxLength: 64 }), {
            description: "The choices.",
            minItems: 1,
            maxItems: 64,
            "x-kubernetes-list-type": "set",
          }),
        },
        { description: "A choice among names (optimizer, activation)." },
      ),
    ),
  },
  {
    description: "One dimension of the search space.",
    rules: [
      {
        rule: "[has(self.float), has(self.int), has(self.categorical)].filter(x, x).size() == 1",
        message: "set exactly one of float, int or categorical",
      },
      {
        rule: `!self.path.matches('${celPattern(FLOAT_PATHS)}') || has(self.float)`,
        message: "learningRate and a layer's rate take a float parameter",
      },
      {
        rule: `!self.path.matches('${celPattern(INT_PATHS)}') || has(self.int)`,
        message: "batchSize, epochs, a layer's units and filters take an int parameter",
      },
      {
        rule: `!self.path.matches('${celPattern(CATEGORICAL_PATHS)}') || has(self.categorical)`,
        message: "optimizer and a layer's activation take a categorical parameter",
      },
      {
        rule: `self.path != 'hyperparameters.optimizer' || !has(self.categorical) || self.categorical.values.all(v, v in ${list(OPTIMIZERS)})`,
        message: `optimizer values must be among ${OPTIMIZERS.join(", ")}`,
      },
      {
        rule: `!self.path.endsWith('.activation') || !has(self.categorical) || self.categorical.values.all(v, v in ${list(ACTIVATIONS)})`,
        message: `activation values must be among ${ACTIVATIONS.join(", ")}`,
      },
      {
        rule: "!self.path.endsWith('.rate') || !has(self.float) || ((!has(self.float.min) || self.float.min >= 0.0) && (!has(self.float.max) || self.float.max <= 0.99) && (!has(self.float.values) || self.float.values.all(v, v >= 0.0 && v <= 0.99)))",
        message: "a dropout rate must be within 0 and 0.99",
      },
      {
        rule: "!self.path.startsWith('hyperparameters.learningRate') || !has(self.float) || ((!has(self.float.min) || self.float.min > 0.0) && (!has(self.float.values) || self.float.values.all(v, v > 0.0)))",
        message: "a learning rate must be > 0",
      },
      {
        rule: "!has(self.int) || ((!has(self.int.min) || self.int.min >= 1) && (!has(self.int.values) || self.int.values.all(v, v >= 1)))",
        message: "batchSize, epochs, units and filters must be at least 1",
      },
    ],
  },
);

const Objective = Obj(
  {
    metric: Type.String({
      description:
        "The validation metric of the last epoch that ranks trials: val_loss, or val_<m> for a metric m of template.spec.hyperparameters.metrics (val_accuracy, val_mae, …).",
      pattern: "^val_[a-z]+$",
      maxLength: 32,
    }),
    goal: Type.Optional(
      StringEnum(SEARCH_GOALS, {
        description:
          "Whether lower or higher is better. Default: minimize for val_loss, val_mse, val_mae; else maximize.",
      }),
    ),
  },
  { description: "What the search optimises." },
);

const Algorithm = Obj(
  {
    name: StringEnum(SEARCH_ALGORITHMS, {
      description:
        "random: independent draws; grid: every point of the space in order (ranges need step or values); tpe: the Tree-structured Parzen Estimator (Bergstra et al. 2011, Optuna's defaults), random for its startup trials.",
      default: "random",
    }),
    seed: Type.Integer({
      description:
        "Seed of the draws: the same seed gives the same trials' parameters (random, grid; tpe given the same finished trials).",
      minimum: 0,
      maximum: 2147483647,
      default: 0,
    }),
    tpe: Type.Optional(
      Obj(
        {
          startupTrials: Type.Optional(
            Type.Integer({
              description: "Random trials before TPE takes over (default 10).",
              minimum: 1,
              maximum: 1000,
            }),
          ),
          candidates: Type.Optional(
            Type.Integer({ description: "Candidates drawn per suggestion (default 24).", minimum: 1, maximum: 1000 }),
          ),
        },
        { description: "TPE settings." },
      ),
    ),
  },
  {
    description: "How the trials' parameters are chosen.",
    rules: [{ rule: "!has(self.tpe) || self.name == 'tpe'", message: "algorithm.tpe is only for name: tpe" }],
  },
);

const EarlyStopping = Obj(
  {
    rule: StringEnum(STOPPING_RULES, {
      description:
        "median: stop a trial whose best value so far is worse than the median of finished trials at the same epoch (Katib's medianstop, Optuna's MedianPruner); successiveHalving: asynchronous successive halving (ASHA) — at epochs minEpochs·reductionFactor^k only the top 1/reductionFactor of the trials that got there so far go on (judged each time the search looks, not once).",
    }),
    minEpochs: Type.Integer({
      description:
        "Epochs every trial runs before it may be stopped (median: warm-up; successiveHalving: the first rung).",
      minimum: 1,
      maximum: 100000,
      default: 1,
    }),
    startupTrials: Type.Integer({
      description: "median: finished trials needed before any is stopped.",
      minimum: 1,
      maximum: 1000,
      default: 5,
    }),
    reductionFactor: Type.Integer({
      description: "successiveHalving: η, the fraction 1/η of trials that go on at each rung.",
      minimum: 2,
      maximum: 16,
      default: 3,
    }),
  },
  { description: "Stop losing trials before their last epoch (their TrainingJob is suspended and kept)." },
);

export const TrainingSearchSpec = Obj(
  {
    template: Obj(
      { spec: TrainingJobSpec },
      {
        description:
          "The TrainingJob every trial is made from; each parameter's value is set at its path. A trial is a TrainingJob named <search>-<index>, owned by the search.",
      },
    ),
    parameters: NamedList(Parameter, {
      description: "The search space: one entry per parameter, by name.",
      minItems: 1,
      maxItems: 16,
    }),
    objective: Objective,
    algorithm: Type.Optional(Algorithm),
    earlyStopping: Type.Optional(EarlyStopping),
    maxTrials: Type.Integer({ description: "The trial budget.", minimum: 1, maximum: 1000 }),
    parallelism: Type.Integer({
      description: "Trials running at a time (their pods spread over the cluster's nodes and GPUs).",
      minimum: 1,
      maximum: 64,
      default: 1,
    }),
    maxFailedTrials: Type.Optional(
      Type.Integer({
        description: "Failed trials after which the search fails. Default: half of maxTrials, rounded down.",
        minimum: 0,
        maximum: 1000,
      }),
    ),
  },
  {
    description:
      "Desired state of a TrainingSearch. template, parameters, objective and algorithm are fixed once created; maxTrials, parallelism and maxFailedTrials may change.",
    rules: [
      {
        rule: "self.parallelism <= self.maxTrials",
        message: "parallelism must not exceed maxTrials (the budget): lower parallelism or raise maxTrials",
        fieldPath: ".parallelism",
      },
      {
        rule: "self.parameters.all(p, self.parameters.exists_one(q, q.path == p.path))",
        message: "two parameters set the same path; give each path one parameter",
        fieldPath: ".parameters",
      },
      {
        rule: "self.parameters.all(p, !p.path.startsWith('model.layers') || (has(self.template.spec.model) && has(self.template.spec.model.layers)))",
        message: "a model.layers[N] parameter needs template.spec.model.layers (not a baseModel)",
        fieldPath: ".parameters",
      },
      {
        rule: "self.parameters.all(p, !p.path.startsWith('model.layers[') || !has(self.template.spec.model) || !has(self.template.spec.model.layers) || int(p.path.substring(13, p.path.indexOf(']'))) < self.template.spec.model.layers.size())",
        message: "a model.layers[N] parameter names a layer past the end of template.spec.model.layers",
        fieldPath: ".parameters",
      },
      {
        rule: "self.objective.metric == 'val_loss' || (has(self.template.spec.hyperparameters.metrics) && self.objective.metric.substring(4) in self.template.spec.hyperparameters.metrics)",
        message:
          "objective.metric must be val_loss or val_<m> for a metric m listed in template.spec.hyperparameters.metrics",
        fieldPath: ".objective.metric",
      },
      {
        rule: "!has(self.algorithm) || self.algorithm.name != 'grid' || self.parameters.all(p, !has(p.float) || has(p.float.values) || has(p.float.step))",
        message: "a grid search needs step or values for every float parameter",
        fieldPath: ".parameters",
      },
      {
        rule: "!has(self.earlyStopping) || !has(self.template.spec.hyperparameters.epochs) || self.earlyStopping.minEpochs < self.template.spec.hyperparameters.epochs || self.parameters.exists(p, p.path == 'hyperparameters.epochs')",
        message:
          "earlyStopping.minEpochs must be below template.spec.hyperparameters.epochs, or nothing can be stopped",
        fieldPath: ".earlyStopping.minEpochs",
      },
      { rule: "self.template == oldSelf.template", message: "template is immutable; create a new TrainingSearch" },
      {
        rule: "self.parameters == oldSelf.parameters",
        message: "parameters are immutable; create a new TrainingSearch",
      },
      { rule: "self.objective == oldSelf.objective", message: "objective is immutable; create a new TrainingSearch" },
      {
        rule: "has(self.algorithm) == has(oldSelf.algorithm) && (!has(self.algorithm) || self.algorithm == oldSelf.algorithm)",
        message: "algorithm is immutable; create a new TrainingSearch",
      },
    ],
  },
);

const Parameters = StringMap({ description: "The trial's parameters, by name (values as text)." });

const ModelOfSearch = Obj(
  {
    trainingJob: Type.String({ description: "The best trial's TrainingJob.", maxLength: 253 }),
    uri: Type.String({ description: "Where the best model is stored.", maxLength: 2048 }),
    digest: Type.String({ description: "sha256 of the model artifact.", maxLength: 71 }),
    version: Type.String({
      description: "Version of the artifact (its TrainingJob's uid and generation).",
      maxLength: 128,
    }),
    dataSetDigest: Type.Optional(Type.String({ description: "Digest of the data it was trained on.", maxLength: 71 })),
    parameters: Parameters,
    objective: Type.Number({ description: "Its objective value." }),
  },
  {
    description:
      "The search's artifact: the best trial's model, its lineage and the winning parameters (set when the search has succeeded; a ModelDeployment's model.trainingSearchRef serves it).",
  },
);

export const TrainingSearchStatus = Obj(
  {
    observedGeneration: Type.Optional(ObservedGeneration),
    conditions: Type.Optional(Conditions),
    phase: Type.Optional(
      StringEnum(["Running", "Succeeded", "Failed"] as const, { description: "Summary of the conditions." }),
    ),
    objective: Type.Optional(
      Obj(
        {
          metric: Type.String({ description: "The metric.", maxLength: 32 }),
          goal: StringEnum(SEARCH_GOALS, { description: "minimize or maximize (given or derived)." }),
        },
        { description: "The objective as applied." },
      ),
    ),
    trials: Type.Optional(
      Obj(
        {
          total: Type.Integer({ description: "Trials created.", minimum: 0 }),
          running: Type.Integer({ description: "Trials running now.", minimum: 0 }),
          stoppedEarly: Type.Integer({ description: "Trials stopped by the early-stopping rule.", minimum: 0 }),
          succeeded: Type.Integer({ description: "Trials that ran to their end.", minimum: 0 }),
          failed: Type.Integer({ description: "Trials that failed.", minimum: 0 }),
        },
        { description: "Trial counts." },
      ),
    ),
    epochsTrained: Type.Optional(
      Type.Integer({ description: "Epochs run by all trials together (the search's compute).", minimum: 0 }),
    ),
    best: Type.Optional(
      Obj(
        {
          trial: Type.String({ description: "The best trial's TrainingJob.", maxLength: 253 }),
          index: Type.Integer({ description: "Its index.", minimum: 0 }),
          objective: Type.Number({ description: "Its objective value." }),
          shortObjective: Type.String({
            description: "objective to 4 significant digits (the BEST column).",
            maxLength: 32,
          }),
          parameters: Parameters,
        },
        { description: "The best trial so far (finished trials only; stopped ones never count)." },
      ),
    ),
    trialRecords: Type.Optional(
      Type.Array(
        Obj(
          {
            index: Type.Integer({ description: "The trial's index.", minimum: 0 }),
            name: Type.String({ description: "Its TrainingJob.", maxLength: 253 }),
            state: StringEnum(TRIAL_STATES, { description: "Running, Succeeded, StoppedEarly or Failed." }),
            parameters: Parameters,
            objective: Type.Optional(Type.Number({ description: "Its objective (last epoch's value)." })),
            epochs: Type.Integer({ description: "Epochs it ran.", minimum: 0 }),
            reason: Type.Optional(Type.String({ description: "Why it stopped early or failed.", maxLength: 1024 })),
          },
          { description: "One trial." },
        ),
        { description: "Every trial, by index.", maxItems: 1000 },
      ),
    ),
    model: Type.Optional(ModelOfSearch),
  },
  { description: "Observed state of a TrainingSearch." },
);

export type TrainingSearchSpec = Static<typeof TrainingSearchSpec>;
export type TrainingSearchStatus = Static<typeof TrainingSearchStatus>;
export type SearchParameter = TrainingSearchSpec["parameters"][number];
export type TrialRecord = NonNullable<TrainingSearchStatus["trialRecords"]>[number];

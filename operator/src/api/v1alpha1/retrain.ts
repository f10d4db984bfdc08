// ModelDeployment spec.retrain (the closed loop's policy) and status.loop (where the loop stands), docs/loop.md.
// Kept apart from modeldeployment.ts: the loop is one concern, and its schema is long.
import { Type } from "@sinclair/typebox";
import { OPTIMIZERS } from "../../contract/training.js";
import { Obj, ObjectName, StringEnum } from "../schema.js";

/** Defaults of spec.retrain, in one place: the schema publishes them and the operator falls back on them. */
export const RETRAIN_DEFAULTS = {
  trafficPercent: 50,
  minSamples: 50,
  alpha: 0.05,
  maxAccuracyDrop: 0.02,
  maxErrorRateIncrease: 0.01,
  maxP99Ratio: 1.5,
  readyTimeoutSeconds: 600,
  maxDurationSeconds: 3600,
  minIntervalMinutes: 60,
  maxPerDay: 4,
  retrainTimeoutMinutes: 180,
  capturedMaxAgeHours: 168,
} as const;

export const LOOP_STAGES = ["Watching", "Retraining", "Canary", "Promoted", "RolledBack", "Failed"] as const;
/** What started a loop (status.loop.trigger.reason): not condition reasons, so named apart from the catalogue. */
export const LoopTrigger = {
  Drifted: "Drifted",
  Degraded: "Degraded",
  Schedule: "Schedule",
  Manual: "Manual",
  // An ErasureRequest retrained the served model on a rewritten version (docs/erasurerequest.md): it goes to canary.
  Erasure: "Erasure",
} as const;
const LOOP_TRIGGERS = Object.values(LoopTrigger);

const Triggers = Obj(
  {
    drifted: Type.Optional(
      Obj(
        {
          periods: Type.Integer({
            description: "Consecutive monitoring periods Drifted must stay True before a retrain starts.",
            minimum: 1,
            maximum: 1000,
          }),
        },
        { description: "Retrain when the inputs or predictions have drifted (the Drifted condition)." },
      ),
    ),
    degraded: Type.Optional(
      Type.Boolean({
        description: "Retrain when live accuracy or F1 falls below monitoring.alerts (Degraded=True for quality).",
      }),
    ),
    schedule: Type.Optional(
      Obj(
        {
          everyHours: Type.Integer({
            description: "Hours between scheduled retrains (counted from the last loop's start).",
            minimum: 1,
            maximum: 8760,
          }),
        },
        { description: "Retrain on a fixed interval." },
      ),
    ),
  },
  {
    description:
      "What starts a retrain. A person can always start one with the annotation liftoff.dev/retrain=<new value> (once per distinct value).",
  },
);

const DataSetTemplate = Obj(
  {
    from: Type.Optional(
      ObjectName({
        description: "DataSet whose spec is copied (default: the DataSet of the TrainingJob template).",
      }),
    ),
    includeCaptured: Type.Optional(
      Type.Boolean({
        description: "Add this ModelDeployment's captured traffic (spec.capture) as source.captured.",
        default: true,
      }),
    ),
    capturedMaxAgeHours: Type.Optional(
      Type.Integer({
        description: "Only captured versions younger than this many hours.",
        minimum: 1,
        maximum: 87600,
        default: RETRAIN_DEFAULTS.capturedMaxAgeHours,
      }),
    ),
  },
  { description: "The DataSet each loop prepares: a copy of a template with captured traffic added." },
);

const TrainingJobTemplate = Obj(
  {
    from: Type.Optional(
      ObjectName({
        description:
          "TrainingJob whose spec is copied (default: spec.model.trainingJobRef, or spec.model.trainingSearchRef's best trial).",
      }),
    ),
    hyperparameters: Type.Optional(
      Obj(
        {
          optimizer: Type.Optional(StringEnum(OPTIMIZERS, { description: "Gradient-descent optimizer." })),
          learningRate: Type.Optional(
            Type.Number({ description: "Step size of the optimizer.", exclusiveMinimum: 0, maximum: 10 }),
          ),
          epochs: Type.Optional(
            Type.Integer({ description: "Passes over the training split.", minimum: 1, maximum: 100000 }),
          ),
          batchSize: Type.Optional(
            Type.Integer({ description: "Rows per gradient step.", minimum: 1, maximum: 65536 }),
          ),
        },
        { description: "Overrides of the template's hyperparameters (all optional)." },
      ),
    ),
  },
  { description: "The TrainingJob each loop runs: a copy of a template, trained on the loop's DataSet." },
);

const CanaryPolicy = Obj(
  {
    trafficPercent: Type.Optional(
      Type.Integer({
        description: "Percent of requests the candidate receives while it is judged (1 to 99).",
        minimum: 1,
        maximum: 99,
        default: RETRAIN_DEFAULTS.trafficPercent,
      }),
    ),
    minSamples: Type.Optional(
      Type.Integer({
        description: "Feedback (and requests) each track needs before it is judged.",
        minimum: 1,
        maximum: 10000000,
        default: RETRAIN_DEFAULTS.minSamples,
      }),
    ),
    alpha: Type.Optional(
      Type.Number({
        description: "Significance level of the tests (one-sided).",
        exclusiveMinimum: 0,
        maximum: 0.5,
        default: RETRAIN_DEFAULTS.alpha,
      }),
    ),
    maxAccuracyDrop: Type.Optional(
      Type.Number({
        description: "Non-inferiority margin: how much lower than stable the candidate's accuracy may be.",
        minimum: 0,
        maximum: 1,
        default: RETRAIN_DEFAULTS.maxAccuracyDrop,
      }),
    ),
    maxErrorRateIncrease: Type.Optional(
      Type.Number({
        description: "How much higher than stable the candidate's error rate may be (a fraction, 0.01 = 1 point).",
        minimum: 0,
        maximum: 1,
        default: RETRAIN_DEFAULTS.maxErrorRateIncrease,
      }),
    ),
    maxP99Ratio: Type.Optional(
      Type.Number({
        description: "Largest candidate p99 latency as a multiple of stable's.",
        minimum: 1,
        maximum: 100,
        default: RETRAIN_DEFAULTS.maxP99Ratio,
      }),
    ),
    readyTimeoutSeconds: Type.Optional(
      Type.Integer({
        description: "A candidate not Ready this long after its canary started is rolled back.",
        minimum: 10,
        maximum: 86400,
        default: RETRAIN_DEFAULTS.readyTimeoutSeconds,
      }),
    ),
    maxDurationSeconds: Type.Optional(
      Type.Integer({
        description: "A canary still undecided after this long is rolled back (NotEnoughFeedback).",
        minimum: 60,
        maximum: 2592000,
        default: RETRAIN_DEFAULTS.maxDurationSeconds,
      }),
    ),
  },
  {
    description: "How the candidate is canaried and judged against the stable model.",
    rules: [
      {
        rule: "!has(self.readyTimeoutSeconds) || !has(self.maxDurationSeconds) || self.readyTimeoutSeconds <= self.maxDurationSeconds",
        message: "retrain.canary.readyTimeoutSeconds must not exceed retrain.canary.maxDurationSeconds",
      },
    ],
  },
);

const Limits = Obj(
  {
    minIntervalMinutes: Type.Optional(
      Type.Integer({
        description: "Least minutes between two loop starts.",
        minimum: 0,
        maximum: 525600,
        default: RETRAIN_DEFAULTS.minIntervalMinutes,
      }),
    ),
    maxPerDay: Type.Optional(
      Type.Integer({
        description: "Most loops started per UTC day.",
        minimum: 1,
        maximum: 1000,
        default: RETRAIN_DEFAULTS.maxPerDay,
      }),
    ),
    retrainTimeoutMinutes: Type.Optional(
      Type.Integer({
        description:
          "Longest the loop's DataSet and TrainingJob may take together (a Pod never scheduled, a Job stuck); past it the loop fails with RetrainTimedOut and the stable model keeps serving.",
        minimum: 1,
        maximum: 10080,
        default: RETRAIN_DEFAULTS.retrainTimeoutMinutes,
      }),
    ),
  },
  { description: "Limits that keep a flapping signal from starting a retrain storm (one loop runs at a time)." },
);

export const Retrain = Obj(
  {
    triggers: Type.Optional(Triggers),
    dataSet: Type.Optional(DataSetTemplate),
    trainingJob: Type.Optional(TrainingJobTemplate),
    canary: Type.Optional(CanaryPolicy),
    limits: Type.Optional(Limits),
  },
  {
    description:
      "The closed loop: retrain on fresh (and captured) data when monitoring says so, canary the new model, and promote or roll it back on live figures. The operator never writes the spec: the loop's state is status.loop and the children it owns.",
  },
);

/** The spec-level rule: a loop needs a TrainingJob to copy. */
export const RETRAIN_TEMPLATE_RULE = {
  // A search-served model's default template is the search's best trial (a TrainingJob with the winning parameters).
  rule: "!has(self.retrain) || (has(self.retrain.trainingJob) && has(self.retrain.trainingJob.from)) || has(self.model.trainingJobRef) || has(self.model.trainingSearchRef)",
  message:
    "retrain needs a TrainingJob to copy: set retrain.trainingJob.from, or serve model.trainingJobRef or model.trainingSearchRef (their TrainingJob, or the search's best trial, is the default)",
};

const Num = (description: string) => Type.Optional(Type.Number({ description }));
const Count = (description: string) => Type.Integer({ description, minimum: 0, format: "int64" });

/** The figures of one track (stable or canary) that a decision used (operator/src/modeldeployment/loop/figures.ts). */
const TrackFigures = (track: string) =>
  Obj(
    {
      pods: Type.Integer({ description: "Ready pods whose counts were merged.", minimum: 0 }),
      // Regression's n is feedback here (a key "n" reads as a boolean to YAML 1.1 readers of the CRD).
      feedback: Count("Feedback matched in the window (regression: the n the MAE is over)."),
      correct: Count("Of them, predictions that were right (classification)."),
      accuracy: Num("Live accuracy."),
      macroF1: Num("Live macro-F1."),
      mae: Num("Live mean absolute error (regression)."),
      rmse: Num("Live root-mean-square error (regression)."),
      driftScore: Num("Largest PSI of the inputs and prediction."),
      requests: Count("Requests served in the window."),
      errors: Count("Of them, server or model errors."),
      errorRate: Num("errors / requests."),
      p99Ms: Num("p99 latency in milliseconds."),
    },
    { description: `The ${track} track's live figures.` },
  );

const ObjName = (description: string) => Type.String({ description, maxLength: 253 });
const Time = (description: string) => Type.String({ description, format: "date-time" });
const Digest = (description: string) => Type.String({ description, maxLength: 71 });
const Message = (description: string) => Type.String({ description, maxLength: 1024 });

const Trigger = Obj(
  {
    reason: StringEnum(LOOP_TRIGGERS, { description: "What started the loop." }),
    message: Message("Why, in words."),
    at: Time("When."),
  },
  { description: "What started the current (or last) loop." },
);

const Decision = Obj(
  {
    decision: StringEnum(["promote", "rollback"] as const, { description: "What the operator did." }),
    reason: Type.String({
      description: "Why, as a CamelCase reason (CanaryNotWorse, CanaryLessAccurate, …).",
      maxLength: 128,
    }),
    message: Message("Why, in words, with the figures."),
    test: Type.Optional(Message("The statistical test and its result, e.g. a z-test's z and p.")),
    at: Time("When."),
  },
  { description: "The decision on the candidate." },
);

export const LoopStatus = Obj(
  {
    stage: StringEnum(LOOP_STAGES, { description: "Where the loop stands (the LOOP column)." }),
    reason: Type.Optional(
      Type.String({
        description: "Why the stage ended (Promoted, RolledBack, Failed) or waits, CamelCase.",
        maxLength: 128,
      }),
    ),
    message: Type.Optional(Message("What the stage is waiting for or why it ended.")),
    iteration: Type.Integer({
      description: "Loops started so far; the children of loop n are <name>-loop-<n>.",
      minimum: 0,
    }),
    trigger: Type.Optional(Trigger),
    startedAt: Type.Optional(Time("When the current (or last) loop started.")),
    canaryAt: Type.Optional(Time("When its candidate went out as a canary.")),
    finishedAt: Type.Optional(Time("When the last loop ended.")),
    dataSet: Type.Optional(ObjName("The loop's DataSet.")),
    trainingJob: Type.Optional(ObjName("The loop's TrainingJob.")),
    candidate: Type.Optional(
      Obj(
        {
          uri: Type.String({ description: "Where the candidate model is.", maxLength: 2048 }),
          digest: Type.Optional(Digest("sha256 of the candidate model.")),
        },
        { description: "The model the loop trained." },
      ),
    ),
    figures: Type.Optional(
      Obj(
        { stable: TrackFigures("stable"), canary: TrackFigures("canary") },
        { description: "The live figures the decision used." },
      ),
    ),
    decision: Type.Optional(Decision),
    lineage: Type.Optional(
      Obj(
        {
          dataDigest: Type.Optional(
            Digest("Digest of the data the candidate was trained on (captured rows included)."),
          ),
          capturedRows: Type.Optional(Count("Rows of captured traffic in that data.")),
          capturedVersions: Type.Optional(Count("Capture versions read into that data.")),
          modelDigest: Type.Optional(Digest("Digest of the candidate model.")),
        },
        { description: "Data → model lineage of the candidate." },
      ),
    ),
    promoted: Type.Optional(
      Obj(
        {
          uri: Type.String({ description: "Where the promoted model is.", maxLength: 2048 }),
          digest: Type.Optional(Digest("sha256 of the promoted model (record it in git for a reviewed promotion).")),
          trainingJob: ObjName("The TrainingJob that trained it."),
          dataSet: Type.Optional(ObjName("The DataSet it was trained on.")),
          at: Time("When it was promoted."),
          specModel: Type.String({
            description:
              "Fingerprint of spec.model at promotion: once spec.model changes, the person's model wins and this promotion is dropped.",
            maxLength: 128,
          }),
        },
        { description: "The model the loop promoted: served as stable while spec.model is unchanged." },
      ),
    ),
    history: Type.Optional(
      Type.Array(
        Obj(
          {
            iteration: Type.Integer({ description: "The loop.", minimum: 0 }),
            trigger: Type.String({ description: "What started it.", maxLength: 32 }),
            decision: Type.String({ description: "promote, rollback or failed.", maxLength: 32 }),
            reason: Type.String({ description: "Why.", maxLength: 128 }),
            modelDigest: Type.Optional(Digest("The candidate's digest.")),
            at: Time("When it ended."),
          },
          { description: "One finished loop." },
        ),
        { description: "The last 10 loops, newest last.", maxItems: 10 },
      ),
    ),
    loopsToday: Type.Optional(
      Obj(
        {
          day: Type.String({ description: "The UTC day (yyyy-mm-dd).", maxLength: 10 }),
          count: Type.Integer({ description: "Loops started that day.", minimum: 0 }),
        },
        { description: "The daily budget spent (limits.maxPerDay)." },
      ),
    ),
    manualToken: Type.Optional(
      Type.String({ description: "The last liftoff.dev/retrain annotation value acted on.", maxLength: 256 }),
    ),
    driftedSince: Type.Optional(Time("Since when Drifted has been True without a break.")),
  },
  { description: "The closed loop's state (spec.retrain): stage, decision, figures and lineage." },
);

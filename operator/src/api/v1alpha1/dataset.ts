// DataSet: collect, clean, normalise, split, store and encrypt training data; publish its statistics.
import { type Static, Type } from "@sinclair/typebox";
import {
  CAPTURED_DEFAULTS,
  CSV_DEFAULTS,
  DATASET_DEFAULTS,
  PANDAS_NA_VALUES,
  SPLIT_DEFAULTS,
} from "../../contract/dataset.js";
import { DURATION_PATTERN, MAX_VERSION_RECORDS } from "../../contract/retention.js";
import { IntegerMap, NamedList, NumberMap, Obj, Quantity, StringEnum } from "../schema.js";
import { DataSetAccess } from "./access.js";
import {
  Conditions,
  LocalObjectReference,
  ObjectStorage,
  ObservedGeneration,
  S3Uri,
  VaultSecretRef,
  VolumeLocation,
} from "./common.js";

const ColumnName = Type.String({
  description: "Column name as it appears in the source.",
  minLength: 1,
  maxLength: 128,
  pattern: "^[A-Za-z_][A-Za-z0-9_.-]*$",
});

const DataSetSource = Obj(
  {
    http: Type.Optional(
      Obj(
        {
          url: Type.String({
            description: "http(s) URL of the file to download.",
            maxLength: 2048,
            pattern: "^https?://[^\\s]+$",
          }),
        },
        { description: "Download the data over HTTP(S)." },
      ),
    ),
    pvc: Type.Optional(VolumeLocation),
    inline: Type.Optional(
      Obj(
        {
          data: Type.String({
            description: "The data itself, in the DataSet's format (small demos only; at most 256 KiB).",
            minLength: 1,
            maxLength: 262144,
          }),
        },
        { description: "Data embedded in the manifest." },
      ),
    ),
    postgres: Type.Optional(
      Obj(
        {
          query: Type.String({ description: "SQL SELECT producing the rows.", minLength: 1, maxLength: 65536 }),
          dsnSecret: VaultSecretRef,
        },
        { description: "Rows from a PostgreSQL query; the connection string is read from Vault." },
      ),
    ),
    s3: Type.Optional(
      Obj(
        {
          uri: S3Uri(
            "s3://bucket/key of the file to read (the pod reaches it as spec.storage says).",
            "source.s3.uri",
            "object",
          ),
        },
        { description: "Read the data from object storage (S3 or an S3-compatible store)." },
      ),
    ),
    captured: Type.Optional(
      Obj(
        {
          modelDeploymentRef: LocalObjectReference,
          maxAgeHours: Type.Integer({
            description: "Only capture versions written less than this many hours ago are read.",
            minimum: 1,
            maximum: 8760,
            default: CAPTURED_DEFAULTS.maxAgeHours,
          }),
          labelled: Type.Boolean({
            description:
              "Keep only captured rows whose feedback label arrived (target not null); false keeps unlabelled rows too (their target is missing: a dropNA or fillNA step must handle it).",
            default: CAPTURED_DEFAULTS.labelled,
          }),
        },
        {
          description:
            "Traffic a ModelDeployment captured (its spec.capture), read when the DataSet runs: alone, or merged with the one other source before cleaning. New traffic needs a new run: a new DataSet (as the retrain loop makes) or a spec change.",
        },
      ),
    ),
  },
  {
    description:
      "Where the raw data comes from: exactly one of http, pvc, inline, postgres or s3; or captured traffic, alone or merged with one of them.",
    rules: [
      {
        rule: "has(self.captured) || [has(self.http), has(self.pvc), has(self.inline), has(self.postgres), has(self.s3)].filter(x, x).size() == 1",
        message:
          "set exactly one data source: http, pvc, inline, postgres or s3 (or captured, alone or with one of them)",
      },
      {
        rule: "!has(self.captured) || [has(self.http), has(self.pvc), has(self.inline), has(self.postgres), has(self.s3)].filter(x, x).size() <= 1",
        message:
          "captured merges with at most one other source: keep one of http, pvc, inline, postgres or s3 beside it, or none",
      },
    ],
  },
);

const ColumnType = StringEnum(["number", "integer", "string", "boolean", "category"] as const, {
  description: "Type of the column's values.",
});

const DataSetSchema = Obj(
  {
    columns: NamedList(
      Obj(
        {
          name: ColumnName,
          type: ColumnType,
          pii: Type.Boolean({
            description: "Whether the column holds personal data (it must then be hashed or dropped).",
            default: false,
          }),
        },
        { description: "One column of the data." },
      ),
      { description: "The columns, in source order; names are unique.", minItems: 1, maxItems: 1024 },
    ),
    target: Type.String({ description: "Name of the column to predict.", minLength: 1, maxLength: 128 }),
  },
  {
    description: "Columns of the data and the column to predict.",
    rules: [
      { rule: "self.columns.exists(c, c.name == self.target)", message: "target must name one of schema.columns" },
      {
        // prepare adds __row, __key, __sample, __part, __nulls, __h and __c<n> (runtime/src/prepare/clean.ts).
        rule: "!self.columns.exists(c, c.name.startsWith('__'))",
        message:
          'column names starting with "__" are reserved for prepare\'s own columns (__row, __key, __sample, __part, …); rename the column',
      },
    ],
  },
);

const TRANSFORM_TYPES = ["dropNA", "fillNA", "standardize", "minMax", "oneHot", "dropColumns", "hashPII"] as const;
const Transform = Obj(
  {
    type: StringEnum(TRANSFORM_TYPES, { description: "What the step does." }),
    columns: Type.Optional(
      Type.Array(ColumnName, {
        description: "Columns the step applies to; all applicable columns when omitted (required for dropColumns).",
        maxItems: 1024,
      }),
    ),
    value: Type.Optional(
      Type.String({ description: "Replacement for missing values (fillNA only).", maxLength: 1024 }),
    ),
    saltSecret: Type.Optional(VaultSecretRef),
  },
  {
    description: "One processing step.",
    rules: [
      {
        rule: "self.type != 'fillNA' || has(self.value)",
        message: "fillNA needs value: the replacement for missing values",
      },
      {
        rule: "self.type != 'hashPII' || has(self.saltSecret)",
        message: "hashPII needs saltSecret: a Vault reference to the salt",
      },
      {
        rule: "self.type != 'dropColumns' || (has(self.columns) && size(self.columns) > 0)",
        message: "dropColumns needs columns: the columns to drop",
      },
    ],
  },
);

const Split = Obj(
  {
    train: Type.Number({
      description: "Fraction of rows for training.",
      minimum: 0,
      maximum: 1,
      default: SPLIT_DEFAULTS.train,
    }),
    validation: Type.Number({
      description: "Fraction of rows for validation.",
      minimum: 0,
      maximum: 1,
      default: SPLIT_DEFAULTS.validation,
    }),
    test: Type.Number({
      description: "Fraction of rows for the final test.",
      minimum: 0,
      maximum: 1,
      default: SPLIT_DEFAULTS.test,
    }),
    seed: Type.Integer({
      description: "Seed of the shuffle, so the split is reproducible.",
      minimum: 0,
      default: SPLIT_DEFAULTS.seed,
      format: "int64",
    }),
  },
  {
    description: "How rows are divided between training, validation and test.",
    rules: [
      {
        rule: "self.train + self.validation + self.test > 0.999999 && self.train + self.validation + self.test < 1.000001",
        message: "split fractions train + validation + test must sum to 1",
      },
      { rule: "self.train > 0.0", message: "split.train must be greater than 0" },
    ],
  },
);

const Encryption = Obj(
  {
    transitKey: Type.String({
      description: "Name of the Vault transit key that wraps the per-dataset AES-256-GCM data key.",
      minLength: 1,
      maxLength: 128,
      pattern: "^[A-Za-z0-9_-]+$",
    }),
    vaultRole: Type.String({
      description: "Vault Kubernetes-auth role the processing pod logs in with.",
      minLength: 1,
      maxLength: 128,
      default: DATASET_DEFAULTS.encryptionVaultRole,
    }),
  },
  { description: "Envelope encryption of the stored data with a Vault transit key." },
);

const Retention = Obj(
  {
    keepLast: Type.Optional(
      Type.Integer({
        description:
          "Versions kept: the newest N (replaces retainVersions). Older ones are shredded unless something uses them.",
        minimum: 1,
        maximum: 100,
      }),
    ),
    maxAge: Type.Optional(
      Type.String({
        description:
          'Versions older than this are shredded (a whole number and s, m, h or d: "720h", "30d"); the current version and versions in use stay.',
        pattern: DURATION_PATTERN,
        maxLength: 7,
      }),
    ),
  },
  {
    description:
      "How long versions are kept. A version past retention is shredded: its data key is destroyed in Vault (so no copy of its files can be decrypted any more), then its files are deleted.",
    rules: [{ rule: "has(self.keepLast) || has(self.maxAge)", message: "retention needs keepLast, maxAge or both" }],
  },
);

/** Erasure (GDPR art. 17): the column that identifies a data subject, and what an ErasureRequest does to models. */
const Privacy = Obj(
  {
    subjectKey: Type.String({
      description:
        "Column that identifies a data subject (a customer id, an e-mail). prepare writes each version's index of its HMAC-SHA-256 (subjects.parquet), which ErasureRequests look up without reading the data. A string, integer or category column of schema.columns.",
      minLength: 1,
      maxLength: 128,
    }),
    saltSecret: Type.Optional(VaultSecretRef),
    onErasure: StringEnum(["Flag", "Retrain"] as const, {
      description:
        "What an ErasureRequest does to the TrainingJobs trained on a rewritten version: Flag marks them (and the ModelDeployments serving them) ErasurePending; Retrain also trains a copy on the new version, which the ModelDeployment rolls out as a canary.",
      default: DATASET_DEFAULTS.onErasure,
    }),
  },
  {
    description:
      "Data-subject erasure: the subject key column indexed at prepare time (docs/privacy.md). The index's HMAC key is saltSecret, or the salt of the hashPII step that names subjectKey in its columns (then the index holds the very values stored in the column).",
  },
);

const CsvOptions = Obj(
  {
    delimiter: Type.String({
      description: "Field separator.",
      minLength: 1,
      maxLength: 1,
      default: CSV_DEFAULTS.delimiter,
    }),
    header: Type.Boolean({
      description: "Whether the first line names the columns (else columns are taken in schema order).",
      default: CSV_DEFAULTS.header,
    }),
    quote: Type.String({ description: "Quote character.", minLength: 1, maxLength: 1, default: CSV_DEFAULTS.quote }),
    naValues: Type.Array(Type.String({ maxLength: 64 }), {
      description: "Field values read as missing; the default is pandas.read_csv's list ('', NA, N/A, NaN, null …).",
      maxItems: 64,
      default: PANDAS_NA_VALUES,
    }),
  },
  { description: "How CSV data is read (format csv)." },
);

const DataSetResources = Obj(
  {
    cpu: Type.Optional(
      Quantity({ description: "CPU request and limit of the prepare pod (DuckDB threads follow it)." }),
    ),
    memory: Type.Optional(
      Quantity({ description: "Memory request and limit of the prepare pod (DuckDB's memory_limit is 60% of it)." }),
    ),
  },
  { description: "Compute resources of the prepare pod." },
);

export const DataSetSpec = Obj(
  {
    source: DataSetSource,
    format: StringEnum(["csv", "jsonl", "parquet"] as const, {
      description: "Format of the raw data.",
      default: DATASET_DEFAULTS.format,
    }),
    csv: Type.Optional(CsvOptions),
    schema: DataSetSchema,
    transforms: Type.Optional(
      Type.Array(Transform, { description: "Processing steps, applied in order.", maxItems: 64 }),
    ),
    split: Type.Optional(Split),
    output: Obj(
      {
        claimName: Type.Optional(VolumeLocation.properties.claimName),
        path: Type.Optional(VolumeLocation.properties.path),
        uri: Type.Optional(
          S3Uri(
            "s3://bucket/prefix under which the versions are written (instead of claimName and path).",
            "output.uri",
            "prefix",
          ),
        ),
      },
      {
        description:
          "Where the processed data is written: claimName and path, or uri (s3://). Immutable: create a new DataSet to move it.",
        rules: [
          { rule: "self == oldSelf", message: "output is immutable; create a new DataSet to write elsewhere" },
          {
            rule: "has(self.uri) ? !has(self.claimName) && !has(self.path) : has(self.claimName) && has(self.path)",
            message: "set output.uri (s3://bucket/prefix) or both output.claimName and output.path, not both",
          },
        ],
      },
    ),
    storage: Type.Optional(ObjectStorage),
    encryption: Type.Optional(Encryption),
    retainVersions: Type.Integer({
      description:
        "Processed versions kept under output.path or output.uri (the newest; older ones are deleted unless a TrainingJob or ModelDeployment uses them).",
      minimum: 1,
      maximum: 100,
      default: DATASET_DEFAULTS.retainVersions,
    }),
    retention: Type.Optional(Retention),
    resources: Type.Optional(DataSetResources),
    privacy: Type.Optional(Privacy),
  },
  {
    description: "Desired state of a DataSet.",
    rules: [
      {
        rule: `!has(self.retention) || !has(self.retention.keepLast) || self.retainVersions == ${DATASET_DEFAULTS.retainVersions}`,
        message: "set retention.keepLast or retainVersions, not both (retention.keepLast replaces retainVersions)",
      },
      {
        rule: "!has(self.privacy) || self.schema.columns.exists(c, c.name == self.privacy.subjectKey && c.type in ['string', 'integer', 'category'])",
        message:
          "privacy.subjectKey must name a string, integer or category column of schema.columns (the one that identifies a data subject)",
      },
      {
        rule: "!has(self.privacy) || has(self.privacy.saltSecret) || (has(self.transforms) && self.transforms.exists(t, t.type == 'hashPII' && has(t.columns) && self.privacy.subjectKey in t.columns))",
        message:
          "privacy needs saltSecret (the HMAC key of the subject index) unless a hashPII step names privacy.subjectKey in its columns",
      },
      {
        // The per-column check (each pii column named by a hashPII or dropColumns step) is 13.6x over the CEL cost
        // budget at 1 024 columns; prepare makes it before any data is written (runtime/src/prepare/plan.ts).
        rule: "!self.schema.columns.exists(c, c.pii) || (has(self.transforms) && self.transforms.exists(t, t.type == 'hashPII' || t.type == 'dropColumns'))",
        message: "columns are marked pii but no hashPII or dropColumns step protects them; add one",
      },
    ],
  },
);

const ColumnStatistics = Obj(
  {
    name: ColumnName,
    count: Type.Integer({ description: "Non-missing values.", format: "int64" }),
    nulls: Type.Integer({ description: "Missing values in the raw data.", format: "int64" }),
    mean: Type.Optional(Type.Number({ description: "Mean (numeric columns)." })),
    std: Type.Optional(Type.Number({ description: "Standard deviation (numeric columns)." })),
    min: Type.Optional(Type.Number({ description: "Minimum (numeric columns)." })),
    max: Type.Optional(Type.Number({ description: "Maximum (numeric columns)." })),
    quantiles: Type.Optional(NumberMap({ description: "Quantiles by name, e.g. p25, p50, p75 (numeric columns)." })),
    categories: Type.Optional(IntegerMap({ description: "Count of each category (category columns)." })),
  },
  { description: "Statistics of one column, computed on the training split; the drift baseline for serving." },
);

const VersionRecord = Obj(
  {
    version: Type.String({ description: "First 12 hex digits of the digest.", maxLength: 12 }),
    digest: Type.String({ description: "sha256 of the version's manifest.", maxLength: 71 }),
    created: Type.String({ description: "When the version was published (RFC 3339).", maxLength: 40 }),
    keyId: Type.Optional(
      Type.String({
        description: "Its data key in the DataSet's key store in Vault KV (encrypted versions).",
        maxLength: 32,
      }),
    ),
    state: StringEnum(["Current", "Retained", "Shredded"] as const, {
      description: "Current: status.digest; Retained: kept; Shredded: key destroyed, files deleted.",
    }),
    shredded: Type.Optional(Type.String({ description: "When it was shredded (RFC 3339).", maxLength: 40 })),
    reason: Type.Optional(
      Type.String({ description: "Why it was shredded: KeepLast, MaxAge, Deleted, Erased.", maxLength: 64 }),
    ),
  },
  { description: "One version of the DataSet's data." },
);

export const DataSetStatus = Obj(
  {
    observedGeneration: Type.Optional(ObservedGeneration),
    conditions: Type.Optional(Conditions),
    rows: Type.Optional(
      Obj(
        {
          read: Type.Integer({ description: "Rows read from the source.", format: "int64" }),
          dropped: Type.Integer({ description: "Rows dropped by cleaning.", format: "int64" }),
          total: Type.Integer({ description: "Rows kept after cleaning.", format: "int64" }),
          train: Type.Integer({ description: "Rows in the training split.", format: "int64" }),
          validation: Type.Integer({ description: "Rows in the validation split.", format: "int64" }),
          test: Type.Integer({ description: "Rows in the test split.", format: "int64" }),
          captured: Type.Optional(
            Type.Integer({
              description:
                "Of the rows read, those taken from captured traffic (source.captured, after its labelled filter).",
              format: "int64",
            }),
          ),
        },
        { description: "Row counts." },
      ),
    ),
    columns: Type.Optional(NamedList(ColumnStatistics, { description: "Per-column statistics.", maxItems: 1024 })),
    digest: Type.Optional(
      Type.String({ description: "sha256 of the processed data, the lineage key for models.", maxLength: 71 }),
    ),
    output: Type.Optional(
      Type.String({ description: "URI of the processed data, e.g. pvc://claim/path.", maxLength: 2048 }),
    ),
    version: Type.Optional(
      Type.String({
        description: "First 12 hex digits of the digest (the version folder's short name).",
        maxLength: 12,
      }),
    ),
    capturedVersions: Type.Optional(
      Type.Integer({
        description: "Capture versions read (source.captured): how much captured traffic went into this data.",
        format: "int64",
      }),
    ),
    task: Type.Optional(
      StringEnum(["regression", "binary", "multiclass"] as const, { description: "Task the target implies." }),
    ),
    notes: Type.Optional(
      Type.Array(Type.String({ maxLength: 1024 }), {
        description: "What the run had to decide, e.g. that the split could not be stratified.",
        maxItems: 16,
      }),
    ),
    access: Type.Optional(DataSetAccess),
    versions: Type.Optional(
      Type.Array(VersionRecord, {
        description:
          "The versions that exist and the last ones shredded, newest first: the record of what was kept and what was destroyed.",
        maxItems: MAX_VERSION_RECORDS,
      }),
    ),
  },
  { description: "Observed state of a DataSet." },
);

export type DataSetSpec = Static<typeof DataSetSpec>;
export type DataSetStatus = Static<typeof DataSetStatus>;
